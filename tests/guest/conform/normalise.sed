# What must differ between a container on the host and the guest, made equal
# before the comparison (tests/kvm/guest_conform.sh).  Keep this short: every
# rule hides a class of differences.
# The terminal's line ends (the guest's console is a serial port).
s/\r$//
