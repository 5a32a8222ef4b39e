fn main() {
    std::process::exit(tl_tools::ar::ranlib_main())
}
