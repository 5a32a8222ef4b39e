__asm__(".globl asm_global\n.type asm_global,@function\nasm_global:\n  call used_only\n  ret\n"
        ".weak asm_weak\nasm_weak:\n  ret\n"
        "asm_local:\n  ret\n"
        ".data\n.globl asm_data\nasm_data: .long 1\n"
        ".set asm_set, asm_data\n.globl asm_set_g\n.set asm_set_g, asm_local\n"
        ".weak weak_undef\n.globl global_undef\n"
        ".comm asm_common,8,8\n.lcomm asm_lcomm,4\n"
        ".hidden asm_hidden\n.globl asm_hidden\nasm_hidden: .quad weak_undef\n"
        ".text\n.symver asm_global, asm_global@VERS_1\n"
        ".section .rodata\n.globl asm_ro\nasm_ro: .byte 0\n");
int ir_func(void) { return 1; }
extern int ir_undef(void);
int ir_use(void) { return ir_undef(); }
