/*
 * tests/guests/x86/head.S - the PVH entry (Xen's docs/misc/pvh.pandoc):
 * 32-bit protected mode, paging off, flat segments, ebx = the physical
 * address of struct hvm_start_info, no stack. Linked where the pc board
 * loads a PVH image (1 MiB): sets a stack, clears .bss, calls
 * guest_start(start_info).
 */
	.code32
	.section .head, "ax"
	.globl _head
_head:
	cld
	movl	%ebx, %esi
	movl	$__bss_start, %edi
	movl	$_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb
	movl	$stack_top, %esp
	pushl	%esi
	call	guest_start
2:	hlt
	jmp	2b

/* a secondary vCPU, from VCPUOP_up: eax = its index, esp = its stack */
	.globl	secondary_entry
secondary_entry:
	pushl	%eax
	call	secondary_main
3:	jmp	3b

	.bss
	.balign	16
	.space	16384
stack_top:
	.balign	16
	.globl	secondary_stacks
secondary_stacks:
	.space	4096 * 16

	.section .note.GNU-stack, "", @progbits

/* XEN_ELFNOTE_PHYS32_ENTRY (18): where a PVH loader enters guest.elf */
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long	4, 4, 18
	.asciz	"Xen"
	.balign 4
	.long	_head
	.popsection
