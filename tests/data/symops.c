/* Symbol kinds for the bitcode symbol-operation differential test (tests/bitcode_symbols.rs). */
int counter = 3;
int zeroed;
const int table[4] = {1, 2, 3, 4};
int common_var;
__thread int tls_var = 7;
__attribute__((weak)) int weak_var = 5;
static int static_var = 9;
__attribute__((noinline)) static int helper(int x) { return x * static_var; }
__attribute__((visibility("hidden"))) int hid(int x) { return x + 1; }
__attribute__((visibility("protected"))) int prot(int x) { return x + 2; }
__attribute__((weak)) int weak_fn(int x) { return x - 1; }
int shared_fn(int x) { return helper(x) + counter + table[x & 3] + zeroed + tls_var + weak_var; }
int api(void) { return 42; }
int api_b(void) { return 43; }
extern int ext_fn(int);
extern int ext_var;
extern __attribute__((weak)) int ext_weak(int);
int use_ext(int y) { return ext_fn(y) + hid(y) + prot(y) + ext_var + (ext_weak ? ext_weak(y) : 0) + weak_fn(y) + shared_fn(y); }
