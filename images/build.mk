# Built-in images: `make images` builds build/images/busybox.oci from Debian's
# busybox-static and loads it into the store ($OSBOX_ROOT, default /var/lib/osbox).
# The workloads (examples/build.mk, included before this file) go into its
# /usr/local/bin.
IMAGES_TARGETS += build/images/busybox.oci images-load-busybox

build/images/busybox.oci: images/recipes/busybox.sh /bin/busybox $(WORKLOAD_BINS)
	@images/recipes/busybox.sh $@ $(WORKLOAD_BINS)

.PHONY: images-load-busybox
images-load-busybox: build/images/busybox.oci $(BUILD)/osbox
	@if [ "$$(id -u)" = 0 ]; then \
		$(BUILD)/osbox load --oci-dir build/images/busybox.oci; \
	else \
		echo "images: not root, so busybox was built but not loaded (run 'make images' as root)"; \
	fi

# libFuzzer target for manifests, configs, path cleaning and layer extraction
# (not part of `make test`): `make fuzz` builds it, `make fuzz-images` runs it.
FUZZ_IMAGES_SRCS := tests/fuzz/fuzz_images.c $(filter-out images/%_test.c,$(wildcard images/*.c)) \
                    common/error.c common/util.c common/dl_archive.c common/dl_crypto.c common/dl_ext2fs.c common/dl_lazy.c
build/fuzz/fuzz_images: $(FUZZ_IMAGES_SRCS) $(wildcard images/*.h)
	@mkdir -p $(@D)
	$${FUZZ_CC:-clang} -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -Icommon -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -o $@ $(FUZZ_IMAGES_SRCS) $(shell pkg-config --libs libarchive libcrypto jansson)

.PHONY: fuzz fuzz-images
fuzz: build/fuzz/fuzz_images
fuzz-images: build/fuzz/fuzz_images
	@mkdir -p build/fuzz/corpus-images
	build/fuzz/fuzz_images -max_total_time=$${FUZZ_SECONDS:-30} -max_len=65536 build/fuzz/corpus-images
