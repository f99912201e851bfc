/* Interrupt handlers of the test guests: count, acknowledge at the LAPIC. */
    .text
    .code64
.macro ISR name, counter
    .globl \name
\name:
    push %rax
    lock incl \counter(%rip)
    movabs $0xfee000b0, %rax /* LAPIC EOI */
    movl $0, (%rax)
    pop %rax
    iretq
.endm
    ISR isr_lapic, lapic_ticks
    ISR isr_pit, pit_ticks
    ISR isr_virtio, virtio_irqs

    .globl isr_fault
isr_fault:
    mov $0x3f8, %dx
    mov $'!', %al
    out %al, %dx
1:  hlt
    jmp 1b

    .bss
    .balign 16
    .skip 16384
    .globl stack_top
stack_top:
