/*
 * tests/guests/x86/tail.S - what both PVH entries end with (included in
 * their .bss): the boot stack, the secondary vCPUs' stacks, and the ELF
 * note a PVH loader enters by (XEN_ELFNOTE_PHYS32_ENTRY, 18: at _head,
 * in 32-bit mode)
 */
	.balign	16
	.space	16384
stack_top:
	.balign	16
	.globl	secondary_stacks
secondary_stacks:
	.space	4096 * 16

	.section .note.GNU-stack, "", @progbits

	.pushsection .note.Xen, "a", @note
	.balign 4
	.long	4, 4, 18
	.asciz	"Xen"
	.balign 4
	.long	_head
	.popsection
