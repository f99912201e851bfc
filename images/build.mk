# Built-in images: `make images` builds build/images/busybox.oci from Debian's
# busybox-static and loads it into the store ($OSBOX_ROOT, default /var/lib/osbox).
IMAGES_TARGETS += build/images/busybox.oci images-load-busybox

build/images/busybox.oci: images/recipes/busybox.sh /bin/busybox
	@images/recipes/busybox.sh $@

.PHONY: images-load-busybox
images-load-busybox: build/images/busybox.oci $(BUILD)/osbox
	@if [ "$$(id -u)" = 0 ]; then \
		$(BUILD)/osbox load --oci-dir build/images/busybox.oci; \
	else \
		echo "images: not root, so busybox was built but not loaded (run 'make images' as root)"; \
	fi
