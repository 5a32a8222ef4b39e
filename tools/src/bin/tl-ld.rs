fn main() {
    std::process::exit(tl_tools::ld::main())
}
