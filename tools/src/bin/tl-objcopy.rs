fn main() {
    std::process::exit(tl_tools::objcopy::main())
}
