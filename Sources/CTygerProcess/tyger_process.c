#define _GNU_SOURCE
#include "tyger_process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Why every fork happens on one dedicated thread:
 *
 * PR_SET_PDEATHSIG is delivered when the *thread* that forked the child exits, not when
 * the process does. Swift's cooperative pool and Dispatch's worker threads are created
 * and retired on demand, so a child forked from one of them could be SIGKILLed at a
 * random moment when that thread happens to be retired. All forks are therefore handed
 * to a single pthread that is started on first use and never exits; the caller blocks
 * on a condition variable until its request is done. Because the spawner thread blocks
 * every signal, each child also starts with all signals blocked, so no inherited
 * handler can run in the child before dispositions are reset.
 */

typedef struct spawn_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    tyger_spawn_result *result;
    int errpipe_read; /* handed back so the caller, not the spawner, waits for exec */
    int done;
    struct spawn_request *next;
} spawn_request;

static pthread_mutex_t spawner_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spawner_has_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t spawner_did_work = PTHREAD_COND_INITIALIZER;
static spawn_request *queue_head = NULL;
static spawn_request *queue_tail = NULL;
static int spawner_started = 0;

/* What the child writes to the error pipe before _exit when a step fails. */
typedef struct {
    int stage;
    int error;
} child_failure;

static void close_quietly(int fd) {
    if (fd >= 0) {
        /* On Linux the descriptor is released even when close reports EINTR; retrying
           could close a descriptor another thread just received. */
        (void)close(fd);
    }
}

/* Keeps our descriptors off 0-2 so the child's dup2 onto 0-2 cannot clobber a source
   descriptor, even in a host that started with stdin/stdout/stderr closed. */
static int move_above_stdio(int fd) {
    if (fd > 2) {
        return fd;
    }
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int saved = errno;
    close_quietly(fd);
    errno = saved;
    return moved;
}

static int make_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) != 0) {
        return -1;
    }
    fds[0] = move_above_stdio(fds[0]);
    fds[1] = move_above_stdio(fds[1]);
    if (fds[0] < 0 || fds[1] < 0) {
        int saved = errno;
        close_quietly(fds[0]);
        close_quietly(fds[1]);
        errno = saved;
        return -1;
    }
    return 0;
}

/* --- child side: only async-signal-safe calls from here until execve --------------- */

static void child_fail(int errpipe, int stage, int error) {
    child_failure failure = {stage, error};
    ssize_t written;
    do {
        written = write(errpipe, &failure, sizeof failure);
    } while (written < 0 && errno == EINTR);
    _exit(127);
}

/* Fallback for kernels without close_range (< 5.9): walk /proc/self/fd with raw
   getdents64 (opendir would malloc), else close up to the limit measured before fork. */
static void close_from(int lowest, int fallback_limit) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned int)lowest, ~0U, 0) == 0) {
        return;
    }
#endif
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        char buffer[4096] __attribute__((aligned(8)));
        for (;;) {
            long count = syscall(SYS_getdents64, dir, buffer, sizeof buffer);
            if (count <= 0) {
                break;
            }
            for (long offset = 0; offset < count;) {
                struct dirent64 *entry = (struct dirent64 *)(buffer + offset);
                offset += entry->d_reclen;
                int fd = 0;
                const char *digit = entry->d_name;
                if (*digit < '0' || *digit > '9') {
                    continue;
                }
                for (; *digit >= '0' && *digit <= '9'; digit++) {
                    fd = fd * 10 + (*digit - '0');
                }
                if (fd >= lowest && fd != dir) {
                    close(fd);
                }
            }
        }
        close(dir);
        return;
    }
    for (int fd = lowest; fd < fallback_limit; fd++) {
        close(fd);
    }
}

static void run_child(const spawn_request *request,
                      pid_t parent_pid,
                      int devnull,
                      int stdout_write,
                      int stderr_write,
                      int errpipe,
                      int fallback_fd_limit) {
    /* (a) Own process group, so the whole tree below the child can be signalled. */
    if (setpgid(0, 0) != 0) {
        child_fail(errpipe, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
    }

    /* (c) Die with the parent. If the parent died before prctl took effect we were
       already reparented and would never get the signal, hence the getppid check. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        child_fail(errpipe, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
    }
    if (getppid() != parent_pid) {
        _exit(127);
    }

    /* (b) dup2 clears close-on-exec on the target, which is what lets 0-2 survive exec. */
    if (dup2(devnull, STDIN_FILENO) < 0 || dup2(stdout_write, STDOUT_FILENO) < 0 ||
        dup2(stderr_write, STDERR_FILENO) < 0) {
        child_fail(errpipe, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
    }

    /* (e) Park the error pipe at 3 (still close-on-exec) so one close_range from 4 up
       removes everything else the host had open. */
    if (errpipe != 3) {
        if (dup3(errpipe, 3, O_CLOEXEC) < 0) {
            child_fail(errpipe, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
        }
        errpipe = 3;
    }
    close_from(4, fallback_fd_limit);

    /* (d) Reset dispositions while everything is still blocked, then unblock. Ignored
       signals would otherwise survive execve (hosts commonly ignore SIGPIPE, and some
       runtimes ignore libc's reserved real-time signals). The raw syscall is used because
       glibc's sigaction refuses those reserved signals; an all-zero kernel sigaction is
       SIG_DFL with no flags and an empty mask whatever the architecture's layout.
       SIGKILL and SIGSTOP are refused by the kernel, which is fine. */
    unsigned long default_action[8];
    memset(default_action, 0, sizeof default_action);
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        (void)syscall(SYS_rt_sigaction, signal_number, default_action, NULL, (NSIG - 1) / 8);
    }
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) != 0) {
        child_fail(errpipe, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
    }

    if (request->cwd != NULL && chdir(request->cwd) != 0) {
        child_fail(errpipe, TYGER_SPAWN_STAGE_CHDIR, errno);
    }

    execve(request->path, request->argv, request->envp);
    child_fail(errpipe, TYGER_SPAWN_STAGE_EXEC, errno);
}

/* --- parent side, on the spawner thread --------------------------------------------- */

static void fork_child(spawn_request *request) {
    tyger_spawn_result *result = request->result;
    int stdout_pipe[2] = {-1, -1};
    int stderr_pipe[2] = {-1, -1};
    int errpipe[2] = {-1, -1};
    int devnull = -1;
    int fallback_fd_limit = 65536;
    struct rlimit limit;
    pid_t parent_pid = getpid();
    pid_t pid;

    request->errpipe_read = -1;
    if (make_pipe(stdout_pipe) != 0 || make_pipe(stderr_pipe) != 0 || make_pipe(errpipe) != 0) {
        goto setup_failed;
    }
    devnull = move_above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (devnull < 0) {
        goto setup_failed;
    }

    /* Measured before fork because getrlimit is not on the async-signal-safe list. */
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur < (rlim_t)INT32_MAX) {
        fallback_fd_limit = (int)limit.rlim_cur;
    }

    /* glibc's _Fork skips pthread_atfork handlers: the child runs none of the host's
       libraries' handlers (which need not be async-signal-safe) and the parent does not
       take their locks on every launch. The child only makes system calls, so it needs
       none of the state those handlers would repair. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    pid = _Fork();
#else
    pid = fork();
#endif
    if (pid == 0) {
        run_child(request, parent_pid, devnull, stdout_pipe[1], stderr_pipe[1], errpipe[1],
                  fallback_fd_limit);
        _exit(127); /* not reached */
    }
    if (pid < 0) {
        goto setup_failed;
    }

    /* Closed right away, on this thread, before the next fork: otherwise the next child
       would hold them and delay this child's EOFs. */
    close_quietly(stdout_pipe[1]);
    close_quietly(stderr_pipe[1]);
    close_quietly(errpipe[1]);
    close_quietly(devnull);

    result->pid = pid;
    result->stdout_fd = stdout_pipe[0];
    result->stderr_fd = stderr_pipe[0];
    request->errpipe_read = errpipe[0];
    result->stage = TYGER_SPAWN_OK;
    result->error = 0;
    return;

setup_failed:
    result->stage = TYGER_SPAWN_STAGE_SETUP;
    result->error = errno;
    close_quietly(stdout_pipe[0]);
    close_quietly(stdout_pipe[1]);
    close_quietly(stderr_pipe[0]);
    close_quietly(stderr_pipe[1]);
    close_quietly(errpipe[0]);
    close_quietly(errpipe[1]);
    close_quietly(devnull);
}

static void *spawner_main(void *unused) {
    (void)unused;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);

    pthread_mutex_lock(&spawner_lock);
    for (;;) {
        while (queue_head == NULL) {
            pthread_cond_wait(&spawner_has_work, &spawner_lock);
        }
        spawn_request *request = queue_head;
        queue_head = request->next;
        if (queue_head == NULL) {
            queue_tail = NULL;
        }
        pthread_mutex_unlock(&spawner_lock);

        fork_child(request);

        pthread_mutex_lock(&spawner_lock);
        request->done = 1;
        pthread_cond_broadcast(&spawner_did_work);
    }
    return NULL;
}

/* Called with spawner_lock held. Retried on the next launch if it fails. */
static int start_spawner_locked(void) {
    if (spawner_started) {
        return 0;
    }
    pthread_attr_t attributes;
    int error = pthread_attr_init(&attributes);
    if (error != 0) {
        return error;
    }
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    /* Block everything while creating it so not even the first instructions of the new
       thread can take a signal meant for the rest of the host. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_t thread;
    error = pthread_create(&thread, &attributes, spawner_main, NULL);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
    if (error == 0) {
        spawner_started = 1;
    }
    return error;
}

/* Waits for exec: the error pipe is close-on-exec, so EOF without data means execve
   succeeded; a child_failure record means the child is about to _exit(127). */
static int await_exec(int errpipe_read, child_failure *failure) {
    size_t received = 0;
    while (received < sizeof *failure) {
        ssize_t count = read(errpipe_read, (char *)failure + received, sizeof *failure - received);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count <= 0) {
            break;
        }
        received += (size_t)count;
    }
    return received == sizeof *failure;
}

int tyger_spawn(const char *path,
                char *const argv[],
                char *const envp[],
                const char *cwd,
                tyger_spawn_result *result) {
    result->pid = -1;
    result->stdout_fd = -1;
    result->stderr_fd = -1;
    result->pidfd = -1;
    result->stage = TYGER_SPAWN_OK;
    result->error = 0;

    spawn_request request = {path, argv, envp, cwd, result, -1, 0, NULL};

    pthread_mutex_lock(&spawner_lock);
    int error = start_spawner_locked();
    if (error != 0) {
        pthread_mutex_unlock(&spawner_lock);
        result->stage = TYGER_SPAWN_STAGE_SETUP;
        result->error = error;
        return -1;
    }
    if (queue_tail != NULL) {
        queue_tail->next = &request;
    } else {
        queue_head = &request;
    }
    queue_tail = &request;
    pthread_cond_signal(&spawner_has_work);
    while (!request.done) {
        pthread_cond_wait(&spawner_did_work, &spawner_lock);
    }
    pthread_mutex_unlock(&spawner_lock);

    if (result->stage != TYGER_SPAWN_OK) {
        return -1;
    }

    child_failure failure;
    int failed = await_exec(request.errpipe_read, &failure);
    close_quietly(request.errpipe_read);
    if (failed) {
        int status;
        while (waitpid(result->pid, &status, 0) < 0 && errno == EINTR) {
        }
        close_quietly(result->stdout_fd);
        close_quietly(result->stderr_fd);
        result->stdout_fd = -1;
        result->stderr_fd = -1;
        result->pid = -1;
        result->stage = failure.stage;
        result->error = failure.error;
        return -1;
    }

    /* Non-blocking only on our read ends: the write ends are separate open file
       descriptions, so the child still sees ordinary blocking pipes. */
    fcntl(result->stdout_fd, F_SETFL, fcntl(result->stdout_fd, F_GETFL) | O_NONBLOCK);
    fcntl(result->stderr_fd, F_SETFL, fcntl(result->stderr_fd, F_GETFL) | O_NONBLOCK);

#ifdef SYS_pidfd_open
    /* Race-free: the child cannot be reaped before we wait for it, so the pid is ours. */
    result->pidfd = (int)syscall(SYS_pidfd_open, result->pid, 0);
#endif
    return 0;
}

int tyger_wait_status(pid_t pid, int nohang, int *kind, int *value) {
    siginfo_t info;
    for (;;) {
        memset(&info, 0, sizeof info);
        int options = WEXITED | WNOWAIT | (nohang ? WNOHANG : 0);
        if (waitid(P_PID, (id_t)pid, &info, options) == 0) {
            break;
        }
        if (errno != EINTR) {
            return -1;
        }
    }
    /* With WNOHANG and nothing to report, waitid leaves si_pid zero. */
    if (info.si_pid == 0) {
        *kind = TYGER_WAIT_RUNNING;
        *value = 0;
        return 0;
    }
    if (info.si_code == CLD_EXITED) {
        *kind = TYGER_WAIT_EXITED;
    } else {
        *kind = TYGER_WAIT_SIGNALED; /* CLD_KILLED or CLD_DUMPED */
    }
    *value = info.si_status;
    return 0;
}

int tyger_reap(pid_t pid) {
    int status;
    for (;;) {
        if (waitpid(pid, &status, 0) >= 0) {
            return 0;
        }
        if (errno != EINTR) {
            return -1;
        }
    }
}
