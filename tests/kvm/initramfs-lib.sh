# Shared by the two initramfs builders (harness/ and linux/ build-initramfs.sh):
# copying a kernel's modules into a staging tree, and packing the tree.
# POSIX sh, sourced; the caller defines die().

# initramfs_add_modules STAGE MODDIR KVER MODULE...: each module's .ko,
# decompressed (busybox insmod may not read .ko.xz/.ko.zst), into
# STAGE/modules/, and its name into STAGE/modules/order in the given order
# (insmod does no dependency resolution). Built-in modules are skipped.
initramfs_add_modules() {
    _stage=$1 _moddir=$2 _kver=$3
    shift 3
    mkdir -p "$_stage/modules"
    : >"$_stage/modules/order"
    for _m in "$@"; do
        # modules.dep names files with '-' or '_' as built; match either spelling.
        _pat=$(printf '%s' "$_m" | sed 's/[-_]/[-_]/g')
        _rel=$(grep -oE "^[^:]*/${_pat}\.ko(\.(xz|zst|gz))?:" "$_moddir/modules.dep" | head -n 1 | tr -d :)
        if [ -z "$_rel" ]; then
            grep -qE "/${_pat}\.ko$" "$_moddir/modules.builtin" 2>/dev/null && continue
            die "module $_m not found for kernel $_kver"
        fi
        _dst=$_stage/modules/$_m.ko
        case $_rel in
            *.xz) xz -dc "$_moddir/$_rel" >"$_dst" ;;
            *.zst) zstd -qdc "$_moddir/$_rel" >"$_dst" ;;
            *.gz) gzip -dc "$_moddir/$_rel" >"$_dst" ;;
            *) cp "$_moddir/$_rel" "$_dst" ;;
        esac
        echo "$_m" >>"$_stage/modules/order"
    done
}

# initramfs_pack STAGE OUT: an uncompressed newc cpio, owned by root, in a
# stable order, written beside OUT first so a failed run leaves no half file.
initramfs_pack() {
    _tmp=$2.tmp.$$
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$_tmp" || { rm -f "$_tmp"; return 1; }
    mv -f "$_tmp" "$2"
}
