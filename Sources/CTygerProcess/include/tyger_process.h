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

/// One child to start: `path` with `argv` and `envp` (both NULL-terminated), optionally
/// in `cwd` (NULL: the host's working directory).
typedef struct {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;
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

#ifdef __cplusplus
}
#endif

#endif
