/* Debug info in loops, inlined statics and aggregates, for tests/bitcode_symbols.rs (strip -g on bitcode). */
struct S { int a; long b; };
static int sq(int x) { return x * x; }
int g_var = 5;
int loop(int n) { int s = 0; for (int i = 0; i < n; i++) s += sq(i) + g_var; return s; }
int with_struct(struct S *p) { struct S local = *p; local.a += 1; return local.a + (int)local.b; }
