# Sourced by the harness's /init (HARNESS_INIT=systemd) before it switch_roots
# to the shared root's /lib/systemd/systemd: a target of its own instead of
# the host's default (none of the host's services start), the command as
# harness-command.service, and what would wait for hardware or a network
# masked. Writes go to the overlay root $r only.
u=$r/etc/systemd/system
mkdir -p "$u"
for m in getty.target serial-getty@ttyS0.service getty@tty1.service console-getty.service \
    systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
    systemd-udevd-control.socket systemd-udevd-kernel.socket \
    systemd-timesyncd.service systemd-networkd.service systemd-networkd-wait-online.service \
    networking.service NetworkManager.service network-online.target systemd-firstboot.service \
    systemd-remount-fs.service systemd-pstore.service systemd-random-seed.service \
    systemd-logind.service timers.target podman.socket cryptsetup.target remote-fs.target \
    swap.target systemd-journal-flush.service; do
    ln -sf /dev/null "$u/$m"
done
# default.target is harness.target here, so what the host hangs on its
# default target would start too.
for w in "$u"/default.target.wants/* "$u"/multi-user.target.wants/*; do
    [ -e "$w" ] || [ -L "$w" ] || continue
    ln -sf /dev/null "$u/${w##*/}"
done
# No disks: the host's fstab is not this VM's.
printf '# harness: no disks\n' >$r/etc/fstab
cat >"$u/harness.target" <<'UNIT'
[Unit]
Description=osbox harness: run the command and power off
Requires=basic.target harness-command.service
After=basic.target
AllowIsolate=yes
UNIT
ln -sf harness.target "$u/default.target"
cat >"$u/harness-command.service" <<'UNIT'
[Unit]
Description=osbox harness command
After=basic.target systemd-journald.socket
[Service]
Type=oneshot
TimeoutStartSec=infinity
StandardInput=null
StandardOutput=journal+console
ExecStart=/bin/sh /run/osbox-harness/systemd-command.sh
UNIT
# The command's output goes to ttyS1 (the host's stdout), its status to the
# control share, then the VM ends at once (poweroff -ff: no unit is stopped).
cat >$r/run/osbox-harness/systemd-command.sh <<'CMD'
stty raw -echo </dev/ttyS1
cat /proc/uptime >/run/osbox-harness/ctl/started
/bin/bash --noprofile --norc /run/osbox-harness/run.sh </dev/null >/dev/ttyS1 2>&1
st=$?
echo $st >/run/osbox-harness/ctl/status
echo "osbox-harness: command exited with status $st"
stty raw -echo </dev/ttyS1
sync
systemctl poweroff -ff
CMD
