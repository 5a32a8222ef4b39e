//! Interop tests (clang-19, lld-19, llvm-19) are compiled as ignored unless TL_INTEROP=1, so a
//! run without them says "ignored" instead of passing silently.
fn main() {
    println!("cargo:rustc-check-cfg=cfg(tl_interop)");
    println!("cargo:rerun-if-env-changed=TL_INTEROP");
    if std::env::var("TL_INTEROP").as_deref() == Ok("1") {
        println!("cargo:rustc-cfg=tl_interop");
    }
}
