# libFuzzer target for the virtqueue + virtio-blk logic. Not part of
# `make test`: `make fuzz` builds it, `make fuzz-run` runs it for FUZZ_SECONDS.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_SRCS    := tests/fuzz/fuzz_virtq.c vmm/virtq.c vmm/guest_mem.c vmm/virtio_blk.c \
                vmm/virtio_dev.c common/error.c common/util.c

build/fuzz/fuzz_virtq: $(FUZZ_SRCS) $(wildcard vmm/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -Icommon -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -o $@ $(FUZZ_SRCS)

.PHONY: fuzz fuzz-run
fuzz: build/fuzz/fuzz_virtq
fuzz-run: build/fuzz/fuzz_virtq
	@mkdir -p build/fuzz/corpus
	build/fuzz/fuzz_virtq -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus
