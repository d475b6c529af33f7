#!/bin/busybox sh
# PID 1 of the lab VM: mounts the host's root read-only over 9p under a tmpfs overlay, chroots in, runs the job, powers off.
#
# Kernel command line parameters (set by lab/run):
#   lab.job=DIR      host directory shared read-write (9p tag "labjob") and mounted at the same path in the guest;
#                    it holds job.sh, and receives the job's exit status in DIR/status
#   lab.modules=DIR  the unpacked kernel's lib/modules directory (a path on the host's root filesystem)
#   lab.systemd=1    the systemd lab: the host's systemd becomes PID 1 and runs the job as a unit (below)
#   lab.persist=1    (systemd lab) the overlay's upper layer starts from DIR/disk.tar and is saved there at shutdown
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for arg in $(cat /proc/cmdline); do
  case "$arg" in
    lab.job=*) JOB=${arg#lab.job=} ;;
    lab.modules=*) MODULES=${arg#lab.modules=} ;;
    lab.systemd=*) SYSTEMD=${arg#lab.systemd=} ;;
    lab.persist=*) PERSIST=${arg#lab.persist=} ;;
  esac
done

fail() { echo "[lab-guest] error: $*" > /dev/ttyS0; poweroff -f; }

for m in $(cat /modules/load-order); do insmod "$m" 2>/dev/null; done

# msize and cache=loose make node's many small reads over 9p several times faster; the lower layer never changes under us.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host || fail "cannot mount the host root over 9p"
mount -t tmpfs -o size=75% tmpfs /upper
mkdir -p /upper/data /upper/work
if [ "$PERSIST" = 1 ]; then
  # The persistent disk: what an earlier boot changed in the root (packages, /etc, enabled units), restored into the
  # upper layer before the overlay is assembled, as a disk would be.
  mkdir -p /job
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 labjob /job || fail "cannot mount the job directory"
  if [ -f /job/disk.tar ]; then tar -xf /job/disk.tar -C /upper/data || fail "cannot restore the disk from $JOB/disk.tar"; fi
  umount /job
fi
mount -t overlay overlay -o lowerdir=/host,upperdir=/upper/data,workdir=/upper/work /newroot || fail "cannot mount the overlay"

R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts
ln -sf pts/ptmx $R/dev/ptmx 2>/dev/null
mount -t tmpfs tmpfs $R/dev/shm
# Without /dev/fd, bash process substitution fails.
ln -sfn /proc/self/fd $R/dev/fd
ln -sfn /proc/self/fd/0 $R/dev/stdin
ln -sfn /proc/self/fd/1 $R/dev/stdout
ln -sfn /proc/self/fd/2 $R/dev/stderr
# /tmp stays the host's (under the overlay): a checkout or job directory there must stay visible.
# /run is fresh, so that the host's /run/netns entries do not show up as dead namespaces.
mount -t tmpfs -o mode=755 tmpfs $R/run
mkdir -p $R/run/netns $R/run/lock
if [ "$PERSIST" = 1 ]; then mkdir -p $R/run/lab-upper && mount --bind /upper/data $R/run/lab-upper; fi
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null

mkdir -p $R/lib/modules
mount --bind "$R$MODULES" $R/lib/modules || fail "cannot bind the kernel modules from $MODULES"
# The kernel runs its modprobe helper in the initramfs' root, not in the chroot: hop into the chroot first.
printf '#!/bin/sh\nexec chroot %s /sbin/modprobe "$@"\n' "$R" > /bin/lab-modprobe
chmod 755 /bin/lab-modprobe
echo /bin/lab-modprobe > /proc/sys/kernel/modprobe

mkdir -p "$R$JOB"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 labjob "$R$JOB" || fail "cannot mount the job directory"

hostname lab
# A test's hosts (namespaces) share this one kernel, and so its per-CPU input queues: each veth hop of the emulated
# wire (web server -> switch -> collector) queues every packet on the backlog of the CPU that sent it, where separate
# hosts would each have their own queue, and a NIC its ring. One host's default (1000) overflows with three hosts'
# packets on it, and the emulated wire then drops production and tunnel packets alike. The product's own queues are
# measured by their own counters, not by this.
echo 16000 > /proc/sys/net/core/netdev_max_backlog
ip link set lo up 2>/dev/null || ifconfig lo up
# The job's output goes to the serial console as-is: no CR before LF.
stty -F /dev/ttyS0 -onlcr 2>/dev/null

if [ "$SYSTEMD" = 1 ]; then
  # The systemd lab: the job runs as lab-job.service once basic.target is up, its output on the console; when it ends,
  # ExecStopPost records its exit status and powers off. lab.target pulls basic.target, the job, and multi-user.target
  # (as a server boots: what the job or an earlier boot enabled starts by itself; the job does not wait for it). The
  # host's own enabled services (nginx, postgresql...) are masked, and so is what would fight for the console or touch
  # hardware the VM lacks. systemd-tmpfiles-setup would empty /tmp ("D /tmp"): in the overlay that hides the host's
  # /tmp, where the checkout, the job and the kernel cache may live. All of it lives in the throw-away overlay.
  U=$R/etc/systemd/system
  mkdir -p $U
  printf '[Unit]\nDescription=Kernel lab\nRequires=basic.target lab-job.service\nWants=multi-user.target\nAfter=basic.target\nAllowIsolate=yes\n' > $U/lab.target
  POWEROFF='systemctl poweroff --force --force'
  if [ "$PERSIST" = 1 ]; then
    # A clean shutdown (every unit stopped, as in a reboot), and then the disk saved: lab-disk.service starts before
    # every ordinary unit, so it stops after them, while the upper layer and the job directory are still mounted.
    POWEROFF='systemctl poweroff --no-block'
    echo 'Wants=lab-disk.service' >> $U/lab.target
    cat > $U/lab-disk.service <<UNIT
[Unit]
Description=Kernel lab: the root's changes saved as the next boot's disk
DefaultDependencies=no
RequiresMountsFor=/run/lab-upper $JOB
After=local-fs.target
Before=sysinit.target shutdown.target
Conflicts=shutdown.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/bin/tar -C /run/lab-upper --exclude=./tmp --exclude=./var/tmp --exclude=./var/log/journal -cf $JOB/disk.tar.new .
ExecStop=/bin/mv $JOB/disk.tar.new $JOB/disk.tar
TimeoutStopSec=900
UNIT
  fi
  cat > $U/lab-job.service <<UNIT
[Unit]
Description=Kernel lab job
After=basic.target
[Service]
Type=oneshot
ExecStart=/bin/bash $JOB/job.sh
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/ttyS0
TTYReset=no
TTYVHangup=no
TimeoutStartSec=infinity
ExecStopPost=/bin/sh -c 'echo \$EXIT_STATUS > $JOB/status; sync; $POWEROFF'
UNIT
  for unit in serial-getty@ttyS0.service getty@tty1.service console-getty.service systemd-firstboot.service \
    systemd-timesyncd.service systemd-pstore.service systemd-random-seed.service apt-daily.timer apt-daily-upgrade.timer \
    e2scrub_all.timer fstrim.timer man-db.timer logrotate.timer systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
    systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service tmp.mount \
    nginx.service postgresql.service e2scrub_reap.service dpkg-db-backup.timer; do
    ln -sf /dev/null $U/$unit
  done
  # After the switch the helper in this initramfs is gone; the chroot's modprobe is then the root's own.
  echo /sbin/modprobe > /proc/sys/kernel/modprobe
  umount $R/sys/kernel/debug 2>/dev/null
  exec switch_root $R /lib/systemd/systemd systemd.unit=lab.target systemd.show_status=0 systemd.log_target=kmsg
fi

chroot $R /bin/bash "$JOB/job.sh" < /dev/null > /dev/ttyS0 2>&1
echo $? > "$R$JOB/status"
sync
echo 0 > /proc/sys/kernel/printk
umount "$R$JOB" 2>/dev/null
poweroff -f
