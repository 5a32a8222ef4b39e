__asm__("  rep movsb\n  lock incl counter(%rip)\n  movl $imm_sym, %eax\n  jmp *%rax\n  .p2align 4\n  .size foo, .-foo\nfoo: .quad bar+8, baz-foo\n"
        "  .pushsection .text.x,\"ax\",@progbits\nx_fn: ret\n  .popsection\n .ascii \"a;b#c\"\n  /* c: */ nop # comment: x\n 2: jmp 2f\n 2: jmp 2b\n"
        ".globl g1, g2\ng1:\ng2: ret\n.weak wir\n");
__attribute__((weak)) int wir(void) { return 0; }
static int st(void) { return 2; }
