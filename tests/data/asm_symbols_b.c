__asm__(".text\n.Llocal_tmp:\n  call ir_func\n  jmp .Llocal_tmp\n  movq ext_var(%rip), %rax\n  leaq data_ref@GOTPCREL(%rip), %rax\n  call plt_fn@PLT\n1: jmp 1b\n"
        "eqsym = ir_func\n.equ eq2, 5\n.local loc_sym\nloc_sym: nop\n.globl late_def\n.symver ir_func, ir_func@@V2\n"
        ".globl both ; both: ret\n  .weak wdef\nwdef: ret\n.globl wdef\n");
int ir_func(void) { return 1; }
static int st(void) { return 2; }
int ir_data = 3;
