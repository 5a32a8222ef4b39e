// Names in the style of libc++ (inline namespace std::__1) and modern C++ constructs, compiled
// by g++ in the tests so `tl-nm -C` can be compared with `nm -C` on them.
#include <cstddef>
#include <utility>
namespace std { inline namespace __1 {
template <class C> struct char_traits {};
template <class T> struct allocator {};
template <class C, class T = char_traits<C>, class A = allocator<C> > struct basic_string {
  basic_string() {} ~basic_string() {} const C *c_str() const { return nullptr; }
  basic_string &append(const C *, std::size_t) { return *this; }
};
template <class T, class A = allocator<T> > struct vector { void push_back(T &&) {} void push_back(const T &) {} };
template <class F> struct function;
template <class R, class... A> struct function<R(A...)> { R operator()(A...) const { return R(); } };
template <class K, class V> struct pair2 { K k; V v; };
} }
using lstring = std::__1::basic_string<char>;
struct __attribute__((abi_tag("cxx11"))) Tagged { int x; };
template <typename... Ts> int variadic(Ts... ts) { return sizeof...(Ts); }
template <typename T> auto deduce(T t) -> decltype(t + 1) { return t + 1; }
template <int N> struct Int { static constexpr int value = N; };
template <typename T, T V> int nontype() { return (int)V; }
template <template <class> class TT> int templ_templ() { return 0; }
template <class T> struct Ptr { using type = T *; };
int operator""_km(unsigned long long v) { return (int)v; }
namespace outer { namespace { int hidden_ns() { return 1; } } inline namespace v2 { int in_v2() { return hidden_ns(); } } }
struct S {
  S() {} S(const S &) {} S(S &&) noexcept {} ~S() {}
  S &operator=(const S &) { return *this; }
  int operator()(int) const & { return 1; }
  int operator()(int) && { return 2; }
  explicit operator bool() const { return true; }
  template <class T> operator T *() const { return nullptr; }
  static int stat;
  void noexcept_fn() noexcept {}
  int arr_ref(int (&a)[4]) { return a[0]; }
  int fn_ptr(int (*f)(double, ...)) { return f(1.0); }
  int mem_ptr(int S::*p, int (S::*q)(int) const &) { return this->*p + (this->*q)(1); }
  void volatile_fn() volatile {}
  int vla(const char *const volatile *p) { return p != nullptr; }
};
int S::stat = 3;
template <class T> struct Outer { template <class U> struct Inner { static int f(T, U) { return 0; } }; };
int use_all(int x) {
  lstring s; s.append("x", 1); std::__1::vector<lstring> v; v.push_back(lstring());
  std::__1::function<int(int, long)> f; std::__1::pair2<int, lstring> p{};
  auto lam = [x](auto y) { return x + y; };
  auto lam2 = [](int a, int b) noexcept { return a * b; };
  Tagged t{x};
  int arr[4] = {1, 2, 3, 4};
  S sv; int S::*pm = nullptr; (void)pm;
  return variadic(1, 2.0, 'c', s) + deduce(x) + Int<5>::value + nontype<long, 7>() + templ_templ<std::__1::allocator>()
         + 10_km + outer::in_v2() + f(1, 2) + lam(3) + lam2(1, 2) + t.x + sv.arr_ref(arr) + (int)(bool)sv
         + Outer<int>::Inner<lstring>::f(1, s) + (s.c_str() == nullptr) + p.k + S::stat + (Ptr<int>::type)nullptr != nullptr;
}
template int variadic<>();
template int variadic<int, int *, const char *, std::nullptr_t>(int, int *, const char *, std::nullptr_t);
static int local_static() { static int guard_me = use_all(1); return guard_me; }
int (*get_local())() { return local_static; }
