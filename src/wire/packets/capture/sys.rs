//! The few system calls of a packet socket, with `libc`: open it with its filter, wait for
//! a packet (or the waker), read it with the kernel's time stamp.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use super::{Arc, NoCapture, Tap, Waker};
use crate::wire::packets::filter::Instruction;

const PACKET_OUTGOING: u8 = 4;
/// A receive buffer large enough for a burst of segments while the thread sleeps.
const RECEIVE_BUFFER: libc::c_int = 8 * 1024 * 1024;

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

fn set<T>(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: &T) -> libc::c_int {
    // SAFETY: `value` points to a live T of the size given.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    }
}

pub(super) fn open(program: &[Instruction]) -> Result<Tap, NoCapture> {
    // Protocol 0: the socket receives nothing until it is bound, after its filter.
    // SAFETY: a plain socket(2) call; the fd is owned at once.
    let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        let error = last_error();
        return Err(match error.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => NoCapture::NotPermitted,
            _ => NoCapture::Failed(format!("socket(AF_PACKET): {error}")),
        });
    }
    // SAFETY: `raw` is a new descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let filters: Vec<libc::sock_filter> = program
        .iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect();
    let fprog = libc::sock_fprog {
        len: filters.len() as u16,
        filter: filters.as_ptr() as *mut libc::sock_filter,
    };
    if set(&fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog) != 0 {
        return Err(NoCapture::Failed(format!(
            "the BPF filter: {}",
            last_error()
        )));
    }
    if set(&fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &RECEIVE_BUFFER) != 0 {
        let _ = set(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &RECEIVE_BUFFER);
    }
    let on: libc::c_int = 1;
    let _ = set(&fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &on);
    // SAFETY: a NUL-terminated name.
    let ifindex = unsafe { libc::if_nametoindex(c"lo".as_ptr()) };
    if ifindex == 0 {
        return Err(NoCapture::Failed("no loopback interface".into()));
    }
    // SAFETY: a zeroed sockaddr_ll is valid; the fields set are those bind reads.
    let mut address: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    address.sll_family = libc::AF_PACKET as u16;
    address.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
    address.sll_ifindex = ifindex as libc::c_int;
    // SAFETY: `address` is a valid sockaddr_ll of the length given.
    let bound = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&address as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if bound != 0 {
        return Err(NoCapture::Failed(format!("bind to lo: {}", last_error())));
    }
    Ok(Tap {
        fd,
        waker: Arc::new(waker()),
    })
}

/// A new eventfd (none when the system refuses: the waits then just run out).
fn waker() -> Waker {
    // SAFETY: a plain eventfd(2) call; the fd is owned at once.
    let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    // SAFETY: `raw` is a new descriptor nobody else owns.
    let fd = (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw) });
    Waker { fd }
}

pub(super) fn wake(waker: &Waker) {
    if let Some(fd) = &waker.fd {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to an eventfd.
        let _ = unsafe { libc::write(fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }
}

pub(super) fn next(tap: &Tap, buffer: &mut [u8], wait: Duration) -> Option<(usize, u64)> {
    // A packet already there is read without waiting.
    if let Some(packet) = receive(tap, buffer) {
        return Some(packet);
    }
    let wake_fd = tap.waker.fd.as_ref().map_or(-1, |fd| fd.as_raw_fd());
    let mut polls = [
        libc::pollfd {
            fd: tap.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake_fd,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let millis = wait.as_millis().clamp(1, 1000) as libc::c_int;
    // SAFETY: two valid pollfds (a negative fd is ignored by poll).
    if unsafe { libc::poll(polls.as_mut_ptr(), 2, millis) } <= 0 {
        return None;
    }
    if polls[1].revents != 0 {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64: the eventfd is drained, waits wait again.
        let _ = unsafe { libc::read(wake_fd, (&mut count as *mut u64).cast(), 8) };
    }
    receive(tap, buffer)
}

/// One packet, with the kernel's time stamp, unless it is a leaving copy on `lo`.
fn receive(tap: &Tap, buffer: &mut [u8]) -> Option<(usize, u64)> {
    // SAFETY: zeroed plain-data structures, filled by recvmsg within their sizes.
    unsafe {
        let mut from: libc::sockaddr_ll = std::mem::zeroed();
        let mut control = [0u64; 16];
        let mut iov = libc::iovec {
            iov_base: buffer.as_mut_ptr().cast(),
            iov_len: buffer.len(),
        };
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_name = (&mut from as *mut libc::sockaddr_ll).cast();
        message.msg_namelen = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.as_mut_ptr().cast();
        message.msg_controllen = std::mem::size_of_val(&control) as _;
        let len = libc::recvmsg(tap.fd.as_raw_fd(), &mut message, libc::MSG_DONTWAIT);
        if len <= 0 || from.sll_pkttype == PACKET_OUTGOING {
            return None;
        }
        let mut at = super::unix_now_us();
        let mut header = libc::CMSG_FIRSTHDR(&message);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET
                && (*header).cmsg_type == libc::SCM_TIMESTAMPNS
            {
                let stamp: libc::timespec =
                    std::ptr::read_unaligned(libc::CMSG_DATA(header).cast());
                at = stamp.tv_sec as u64 * 1_000_000 + stamp.tv_nsec as u64 / 1000;
            }
            header = libc::CMSG_NXTHDR(&message, header);
        }
        Some(((len as usize).min(buffer.len()), at))
    }
}
