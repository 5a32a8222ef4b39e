fn main() {
    std::process::exit(tl_tools::ar::main())
}
