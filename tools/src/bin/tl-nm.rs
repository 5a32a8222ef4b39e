fn main() {
    std::process::exit(tl_tools::nm::main())
}
