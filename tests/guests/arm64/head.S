/*
 * tests/guests/arm64/head.S - a Linux arm64 Image header and the entry:
 * x0 = the device tree's physical address (Documentation/arm64/booting.rst),
 * MMU off, EL1. Sets a stack, clears .bss, calls guest_start(dtb).
 */
	.section .head, "ax"
	.globl _head
_head:
	b	start			/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	_end - _head		/* image_size */
	.quad	0xa			/* flags: little-endian, 4K pages, anywhere */
	.quad	0, 0, 0			/* res2-res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 */

start:
	mov	x19, x0
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, _end
	add	x2, x2, :lo12:_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	adrp	x1, stack_top
	add	x1, x1, :lo12:stack_top
	mov	sp, x1
	mov	x0, x19
	bl	guest_start
3:	b	3b

/* a secondary vCPU, from PSCI CPU_ON: x0 = its index (the context id) */
	.globl	secondary_entry
secondary_entry:
	adrp	x1, secondary_stacks
	add	x1, x1, :lo12:secondary_stacks
	add	x2, x0, #1
	lsl	x2, x2, #12		/* 4 KiB a vCPU, the stack grows down */
	add	sp, x1, x2
	bl	secondary_main
4:	b	4b

	.bss
	.balign	16
	.space	16384
stack_top:
	.balign	16
secondary_stacks:
	.space	4096 * 16
