// C++ symbol kinds for the bitcode symbol-operation differential test.
struct Shape {
    virtual ~Shape() {}
    virtual int area() const { return 1; }
    int twice() const { return 2 * area(); }
};
template <typename T> T add(T a, T b) { return a + b; }
namespace ns { int value = 4; int get() { return value; } }
int use_all(const Shape &s) { return s.twice() + add<int>(1, 2) + add<long>(3, 4) + ns::get(); }
Shape *make() { return new Shape; }
