# Workloads: small static programs (musl) that run unchanged on the host, in a
# container and in the osbox guest kernel. build/workloads/<name>.
WL_CC      ?= musl-gcc
WL_CFLAGS  := -std=gnu11 -O2 -static -Wall -Wextra -Werror -Iexamples/workloads
WL_DIR     := examples/workloads
WORKLOADS  := syscall ctxswitch fork pagefault memlat cpu fileio alloc udp-rtt tcp-stream tcp-rr
WORKLOAD_BINS := $(WORKLOADS:%=$(BUILD)/workloads/%)
ALL_EXTRA  += $(WORKLOAD_BINS)

# Extra sources per workload (besides <name>.c and the shared wl.c).
WL_EXTRA_cpu        := $(WL_DIR)/sha256.c
WL_EXTRA_udp-rtt    := $(WL_DIR)/netwl.c
WL_EXTRA_tcp-stream := $(WL_DIR)/netwl.c
WL_EXTRA_tcp-rr     := $(WL_DIR)/netwl.c

# One explicit rule per workload (no .SECONDEXPANSION: it would apply to every
# fragment included after this one).
define osbox_workload
$(BUILD)/workloads/$(1): $(WL_DIR)/$(1).c $(WL_DIR)/wl.c $(WL_EXTRA_$(1)) $(wildcard $(WL_DIR)/*.h)
	@mkdir -p $$(@D)
	$(WL_CC) $(WL_CFLAGS) -o $$@ $(WL_DIR)/$(1).c $(WL_DIR)/wl.c $(WL_EXTRA_$(1)) -lm
endef
$(foreach w,$(WORKLOADS),$(eval $(call osbox_workload,$(w))))

.PHONY: workloads
workloads: $(WORKLOAD_BINS)
