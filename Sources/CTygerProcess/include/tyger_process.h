#ifndef TYGER_PROCESS_H
#define TYGER_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which step of the launch failed; tells the Swift side how to word the error.
typedef enum {
    TYGER_SPAWN_OK = 0,
    /// Creating pipes, /dev/null, the spawner thread, or fork itself failed in the parent.
    TYGER_SPAWN_STAGE_SETUP = 1,
    /// The child could not arrange its process group, pipes, descriptors or signals.
    TYGER_SPAWN_STAGE_CHILD_SETUP = 2,
    /// chdir to the working directory failed in the child.
    TYGER_SPAWN_STAGE_CHDIR = 3,
    /// execve failed in the child.
    TYGER_SPAWN_STAGE_EXEC = 4,
} tyger_spawn_stage;

typedef struct {
    pid_t pid;
    /// Read ends, non-blocking and close-on-exec; the caller owns them.
    int stdout_fd;
    int stderr_fd;
    /// A pidfd for the child (close-on-exec; the caller owns it), or -1 when the kernel
    /// lacks pidfd_open and the caller must poll instead.
    int pidfd;
    /// TYGER_SPAWN_OK on success, else the failing stage; `error` holds its errno.
    int stage;
    int error;
} tyger_spawn_result;

/// How a child is isolated from the host's other processes.
typedef enum {
    /// An ordinary child in its own process group.
    TYGER_ISOLATION_NONE = 0,
    /// The child is the first process (pid 1) of a new PID namespace: when it exits, or is
    /// killed because the host died, the kernel kills every process it started, whatever
    /// group or session they moved to. Needs CAP_SYS_ADMIN.
    TYGER_ISOLATION_PID_NAMESPACE = 1,
    /// The same inside a new user namespace that maps only the host's own user and group to
    /// themselves, for hosts without CAP_SYS_ADMIN.
    TYGER_ISOLATION_USER_AND_PID_NAMESPACE = 2,
} tyger_isolation;

/// One child to start: `path` with `argv` and `envp` (both NULL-terminated), optionally
/// in `cwd` (NULL: the host's working directory), isolated as `isolation` says.
typedef struct {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int isolation;
} tyger_spawn_request;

/// Starts every request in order, each in its own process group, stdin from /dev/null,
/// stdout and stderr to two pipes, SIGKILLed if this process dies. Blocks until each
/// child has exec'd or failed to. `results[i]` describes `requests[i]`: on success
/// `stage` is TYGER_SPAWN_OK; on failure `stage` and `error` say why, no descriptor is
/// left open for it and any child has been reaped. One failure does not stop the rest.
/// Returns how many children were started.
size_t tyger_spawn_all(const tyger_spawn_request requests[], tyger_spawn_result results[], size_t count);

/// Outcome of tyger_wait_status.
typedef enum {
    TYGER_WAIT_RUNNING = 0,
    TYGER_WAIT_EXITED = 1,
    TYGER_WAIT_SIGNALED = 2,
} tyger_wait_kind;

/// Reads the exit status of child `pid` without reaping it (waitid with WNOWAIT), so the
/// pid and its process-group id stay reserved until tyger_reap.
/// Returns 0 with `*kind` set (TYGER_WAIT_RUNNING if `nohang` and still running), or -1
/// with errno (ECHILD: someone else reaped it).
int tyger_wait_status(pid_t pid, int nohang, int *kind, int *value);

/// Reaps an exited child (waitpid on that pid only, never -1). Returns 0, or -1 with errno.
int tyger_reap(pid_t pid);

/// Takes (`lock` 1) or drops (`lock` 0) an open-file-description write lock on the byte at
/// `offset` of `fd`, without waiting. Returns 0, or -1 with errno (EAGAIN: held elsewhere).
int tyger_lock_byte(int fd, long offset, int lock);

/// Which isolation this host can use: tries each kind once with a child that exits at
/// once, best first, and returns the first that works (TYGER_ISOLATION_NONE if none).
int tyger_probe_isolation(void);

/// The inode of the TCP socket that accepts connections to 127.0.0.1:`port`, found with one
/// socket-diagnostics lookup (the kernel's own listener lookup, so a socket bound to any
/// address or a dual-stack IPv6 socket counts). Returns 0 when nothing would accept, or -1
/// with errno.
long tyger_accepting_inode(int port);

/// Finds the inodes of the TCP sockets listening on `port` (IPv4 and IPv6, any address)
/// through the kernel's socket diagnostics. Writes at most `capacity` inodes and returns
/// how many there are, or -1 with errno.
int tyger_listening_inodes(int port, unsigned long inodes[], int capacity);

/// The ports of the TCP sockets in LISTEN state whose inodes are in `inodes` (`count` of
/// them). Writes at most `capacity` ports and returns how many matched, or -1 with errno.
int tyger_listening_ports(const unsigned long inodes[], int count, int ports[], int capacity);

/// Collects the socket inodes held open by `root` and every process below it (children
/// found through /proc/PID/task/TID/children). Writes at most `capacity` inodes and returns
/// how many were found, or -1 with errno when `root` cannot be read.
int tyger_tree_socket_inodes(pid_t root, unsigned long inodes[], int capacity);

#ifdef __cplusplus
}
#endif

#endif
