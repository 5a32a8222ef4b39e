fn main() {
    std::process::exit(tl_tools::strip::main())
}
