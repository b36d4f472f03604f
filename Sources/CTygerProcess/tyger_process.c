#define _GNU_SOURCE
#include "tyger_process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>

/*
 * Why every launch happens on one dedicated thread:
 *
 * PR_SET_PDEATHSIG is delivered when the *thread* that created the child exits, not when
 * the process does. Swift's cooperative pool and Dispatch's worker threads are created
 * and retired on demand, so a child created from one of them could be SIGKILLed at a
 * random moment when that thread happens to be retired. All launches are therefore
 * handed to a single pthread that is started on first use and never exits; the caller
 * blocks on a condition variable until its batch is done. Batches matter when many
 * children start at once: the children compete for the CPU with the spawner, so every
 * hand-off between threads waits for a time slice, once per batch instead of per child. Because the spawner thread
 * blocks every signal, each child also starts with all signals blocked, so no inherited
 * handler can run in the child before dispositions are reset.
 *
 * Why clone(CLONE_VM | CLONE_VFORK) rather than fork:
 *
 * fork copies the page tables of the whole host, which for a large multi-threaded Swift
 * process costs far more than starting the child itself, and the parent then pays a
 * copy-on-write fault for every page it touches afterwards. Like posix_spawn, the child
 * here borrows the host's memory on a stack of its own until execve, and the spawner
 * thread sleeps until the child has exec'd or exited. The rules that come with it: the
 * child makes only system calls, writes nothing in shared memory but its failure
 * record, and never returns into the spawner's frames.
 */

typedef struct spawn_batch {
    const tyger_spawn_request *requests;
    tyger_spawn_result *results;
    size_t count;
    int done;
    struct spawn_batch *next;
} spawn_batch;

static pthread_mutex_t spawner_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spawner_has_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t spawner_did_work = PTHREAD_COND_INITIALIZER;
static spawn_batch *queue_head = NULL;
static spawn_batch *queue_tail = NULL;
static int spawner_started = 0;

/* The children's stack, used by one child at a time (the spawner sleeps while a child
   runs on it) and kept for the life of the process. */
static void *child_stack = NULL;
static const size_t child_stack_size = 256 * 1024;

/* Which step failed in the child. Written by the child into memory it shares with the
   spawner; read by the spawner only after the child has exec'd or exited. */
typedef struct {
    int stage;
    int error;
} child_failure;

/* A pidfd for the host, opened by the spawner once: a namespaced child cannot name its
   parent by pid (getppid is 0 there), so it polls this to learn whether the host died
   before its PR_SET_PDEATHSIG took effect. -1 when the kernel has no pidfd_open. */
static int host_pidfd = -1;

/* Everything the child needs, on the spawner's stack, which the child can read. */
typedef struct {
    const tyger_spawn_request *request;
    pid_t parent_pid;
    /* "uid uid 1" and "gid gid 1": the user namespace maps only the host's own ids. */
    char uid_map[48];
    char gid_map[48];
    int devnull;
    int stdout_write;
    int stderr_write;
    int fallback_fd_limit;
    volatile child_failure failure;
} child_arguments;

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

static void child_fail(child_arguments *arguments, int stage, int error) {
    arguments->failure.stage = stage;
    arguments->failure.error = error;
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

static int write_proc_self(const char *file, const char *text) {
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int saved = errno;
    close(fd);
    errno = saved;
    return written == (ssize_t)length ? 0 : -1;
}

/* Whether the host that started us is gone, asked in a way that works from inside a new
   PID namespace, where our parent has no pid. */
static int host_has_exited(child_arguments *arguments) {
    if (arguments->request->isolation == TYGER_ISOLATION_NONE) {
        return getppid() != arguments->parent_pid;
    }
    if (host_pidfd < 0) {
        return 0;
    }
    struct pollfd watch = {.fd = host_pidfd, .events = POLLIN, .revents = 0};
    return poll(&watch, 1, 0) > 0;
}

static int run_child(void *opaque) {
    child_arguments *arguments = opaque;
    const tyger_spawn_request *request = arguments->request;

    /* (0) In a user namespace of our own, be who we were: only the host's own user and
       group are mapped, so files and permissions look as they did, with no extra power. */
    if (request->isolation == TYGER_ISOLATION_USER_AND_PID_NAMESPACE) {
        if (write_proc_self("/proc/self/setgroups", "deny") != 0 ||
            write_proc_self("/proc/self/uid_map", arguments->uid_map) != 0 ||
            write_proc_self("/proc/self/gid_map", arguments->gid_map) != 0) {
            child_fail(arguments, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
        }
    }

    /* (a) Own process group, so the whole tree below the child can be signalled. */
    if (setpgid(0, 0) != 0) {
        child_fail(arguments, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
    }

    /* (c) Die with the parent. If the parent died before prctl took effect we were
       already reparented and would never get the signal, hence the getppid check. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        child_fail(arguments, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
    }
    if (host_has_exited(arguments)) {
        child_fail(arguments, TYGER_SPAWN_STAGE_CHILD_SETUP, ESRCH);
    }

    /* (b) dup2 clears close-on-exec on the target, which is what lets 0-2 survive exec. */
    if (dup2(arguments->devnull, STDIN_FILENO) < 0 || dup2(arguments->stdout_write, STDOUT_FILENO) < 0 ||
        dup2(arguments->stderr_write, STDERR_FILENO) < 0) {
        child_fail(arguments, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
    }

    /* (e) Nothing the host had open survives, whether or not it was close-on-exec. */
    close_from(3, arguments->fallback_fd_limit);

    /* (d) Reset dispositions while everything is still blocked, then unblock. Ignored
       signals would otherwise survive execve (hosts commonly ignore SIGPIPE, and some
       runtimes ignore libc's reserved real-time signals), and a handler must never run
       here, on memory shared with the host. The raw syscall is used because glibc's
       sigaction refuses those reserved signals; an all-zero kernel sigaction is SIG_DFL
       with no flags and an empty mask whatever the architecture's layout. SIGKILL and
       SIGSTOP are refused by the kernel, which is fine. */
    unsigned long default_action[8];
    memset(default_action, 0, sizeof default_action);
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        (void)syscall(SYS_rt_sigaction, signal_number, default_action, NULL, (NSIG - 1) / 8);
    }
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) != 0) {
        child_fail(arguments, TYGER_SPAWN_STAGE_CHILD_SETUP, errno);
    }

    if (request->cwd != NULL && chdir(request->cwd) != 0) {
        child_fail(arguments, TYGER_SPAWN_STAGE_CHDIR, errno);
    }

    execve(request->path, request->argv, request->envp);
    child_fail(arguments, TYGER_SPAWN_STAGE_EXEC, errno);
    return 127; /* not reached */
}

/* --- parent side, on the spawner thread --------------------------------------------- */

/* Maps the children's stack on first use, with a guard page below it so an overflow
   faults instead of writing into the host's memory. */
static int ensure_child_stack(void) {
    if (child_stack != NULL) {
        return 0;
    }
    size_t guard = (size_t)sysconf(_SC_PAGESIZE);
    char *mapping = mmap(NULL, child_stack_size + guard, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (mapping == MAP_FAILED) {
        return -1;
    }
    if (mprotect(mapping, guard, PROT_NONE) != 0) {
        int saved = errno;
        munmap(mapping, child_stack_size + guard);
        errno = saved;
        return -1;
    }
    child_stack = mapping + guard;
    return 0;
}

static void launch_child(const tyger_spawn_request *request, tyger_spawn_result *result) {
    int stdout_pipe[2] = {-1, -1};
    int stderr_pipe[2] = {-1, -1};
    int devnull = -1;
    struct rlimit limit;
    pid_t pid;

    if (ensure_child_stack() != 0 || make_pipe(stdout_pipe) != 0 || make_pipe(stderr_pipe) != 0) {
        goto setup_failed;
    }
    devnull = move_above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (devnull < 0) {
        goto setup_failed;
    }

    child_arguments arguments = {
        .request = request,
        .parent_pid = getpid(),
        .uid_map = {0},
        .gid_map = {0},
        .devnull = devnull,
        .stdout_write = stdout_pipe[1],
        .stderr_write = stderr_pipe[1],
        .fallback_fd_limit = 65536,
        .failure = {TYGER_SPAWN_OK, 0},
    };
    snprintf(arguments.uid_map, sizeof arguments.uid_map, "%u %u 1", (unsigned)geteuid(), (unsigned)geteuid());
    snprintf(arguments.gid_map, sizeof arguments.gid_map, "%u %u 1", (unsigned)getegid(), (unsigned)getegid());
    /* Measured here because getrlimit is not on the async-signal-safe list. */
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur < (rlim_t)INT32_MAX) {
        arguments.fallback_fd_limit = (int)limit.rlim_cur;
    }

    /* Returns once the child has exec'd or exited. The stack grows down on every
       architecture Swift runs on Linux, so the child starts at the top of its mapping. */
    int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
    if (request->isolation == TYGER_ISOLATION_PID_NAMESPACE) {
        flags |= CLONE_NEWPID;
    } else if (request->isolation == TYGER_ISOLATION_USER_AND_PID_NAMESPACE) {
        flags |= CLONE_NEWPID | CLONE_NEWUSER;
    }
    pid = clone(run_child, (char *)child_stack + child_stack_size, flags, &arguments);
    if (pid < 0) {
        goto setup_failed;
    }

    /* Closed right away, before the next launch: otherwise the next child would hold
       them and delay this child's EOFs. */
    close_quietly(stdout_pipe[1]);
    close_quietly(stderr_pipe[1]);
    close_quietly(devnull);

    if (arguments.failure.stage != TYGER_SPAWN_OK) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        close_quietly(stdout_pipe[0]);
        close_quietly(stderr_pipe[0]);
        result->stage = arguments.failure.stage;
        result->error = arguments.failure.error;
        return;
    }

    /* Non-blocking only on our read ends: the write ends are separate open file
       descriptions, so the child still sees ordinary blocking pipes. */
    fcntl(stdout_pipe[0], F_SETFL, fcntl(stdout_pipe[0], F_GETFL) | O_NONBLOCK);
    fcntl(stderr_pipe[0], F_SETFL, fcntl(stderr_pipe[0], F_GETFL) | O_NONBLOCK);

    result->pid = pid;
    result->stdout_fd = stdout_pipe[0];
    result->stderr_fd = stderr_pipe[0];
#ifdef SYS_pidfd_open
    /* Race-free: the child cannot be reaped before we wait for it, so the pid is ours. */
    result->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
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
    close_quietly(devnull);
}

static void *spawner_main(void *unused) {
    (void)unused;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
#ifdef SYS_pidfd_open
    host_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (host_pidfd >= 0) {
        (void)fcntl(host_pidfd, F_SETFD, FD_CLOEXEC);
        host_pidfd = move_above_stdio(host_pidfd);
    }
#endif

    pthread_mutex_lock(&spawner_lock);
    for (;;) {
        while (queue_head == NULL) {
            pthread_cond_wait(&spawner_has_work, &spawner_lock);
        }
        spawn_batch *batch = queue_head;
        queue_head = batch->next;
        if (queue_head == NULL) {
            queue_tail = NULL;
        }
        pthread_mutex_unlock(&spawner_lock);

        for (size_t index = 0; index < batch->count; index++) {
            launch_child(&batch->requests[index], &batch->results[index]);
        }

        pthread_mutex_lock(&spawner_lock);
        batch->done = 1;
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

size_t tyger_spawn_all(const tyger_spawn_request requests[], tyger_spawn_result results[], size_t count) {
    for (size_t index = 0; index < count; index++) {
        results[index].pid = -1;
        results[index].stdout_fd = -1;
        results[index].stderr_fd = -1;
        results[index].pidfd = -1;
        results[index].stage = TYGER_SPAWN_STAGE_SETUP;
        results[index].error = 0;
    }
    if (count == 0) {
        return 0;
    }

    spawn_batch batch = {requests, results, count, 0, NULL};

    pthread_mutex_lock(&spawner_lock);
    int error = start_spawner_locked();
    if (error != 0) {
        pthread_mutex_unlock(&spawner_lock);
        for (size_t index = 0; index < count; index++) {
            results[index].error = error;
        }
        return 0;
    }
    if (queue_tail != NULL) {
        queue_tail->next = &batch;
    } else {
        queue_head = &batch;
    }
    queue_tail = &batch;
    pthread_cond_signal(&spawner_has_work);
    while (!batch.done) {
        pthread_cond_wait(&spawner_did_work, &spawner_lock);
    }
    pthread_mutex_unlock(&spawner_lock);

    size_t started = 0;
    for (size_t index = 0; index < count; index++) {
        if (results[index].stage == TYGER_SPAWN_OK) {
            started++;
        }
    }
    return started;
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

/* --- isolation probe ------------------------------------------------------------------ */

int tyger_probe_isolation(void) {
    static const int kinds[] = {TYGER_ISOLATION_PID_NAMESPACE, TYGER_ISOLATION_USER_AND_PID_NAMESPACE};
    char *const argv[] = {"/bin/true", NULL};
    char *const envp[] = {NULL};
    for (size_t index = 0; index < sizeof kinds / sizeof kinds[0]; index++) {
        /* /bin/true may be missing; the probe execs it only to see the namespace work, and an
           exec failure after a successful clone still proves the clone. */
        tyger_spawn_request request = {"/bin/true", argv, envp, NULL, kinds[index]};
        tyger_spawn_result result;
        tyger_spawn_all(&request, &result, 1);
        int cloned = result.stage == TYGER_SPAWN_OK || result.stage == TYGER_SPAWN_STAGE_EXEC ||
                     result.stage == TYGER_SPAWN_STAGE_CHDIR;
        if (result.stage == TYGER_SPAWN_OK) {
            close_quietly(result.stdout_fd);
            close_quietly(result.stderr_fd);
            close_quietly(result.pidfd);
            (void)tyger_reap(result.pid);
        }
        if (cloned) {
            return kinds[index];
        }
    }
    return TYGER_ISOLATION_NONE;
}

/* --- sockets --------------------------------------------------------------------------- */

/* Sends one sock_diag request for TCP sockets of `family` in LISTEN state (with a bytecode
   filter on the source port when `port` > 0) and calls `visit` for every answer. */
static int diag_listeners(int family, int port, void (*visit)(const struct inet_diag_msg *, void *), void *context) {
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        return -1;
    }
    struct {
        struct nlmsghdr header;
        struct inet_diag_req_v2 request;
        struct rtattr attribute;
        struct inet_diag_bc_op filter[4];
    } message;
    memset(&message, 0, sizeof message);
    size_t length = NLMSG_LENGTH(sizeof(struct inet_diag_req_v2));
    message.request.sdiag_family = (unsigned char)family;
    message.request.sdiag_protocol = IPPROTO_TCP;
    message.request.idiag_states = 1U << 10; /* TCP_LISTEN */
    if (port > 0) {
        /* sport >= port && sport <= port; a jump past the end rejects the socket. */
        size_t filter_length = sizeof message.filter;
        message.filter[0] = (struct inet_diag_bc_op){INET_DIAG_BC_S_GE, 8, (unsigned short)(filter_length + 4)};
        message.filter[1] = (struct inet_diag_bc_op){0, 0, (unsigned short)port};
        message.filter[2] = (struct inet_diag_bc_op){INET_DIAG_BC_S_LE, 8, (unsigned short)(filter_length - 8 + 4)};
        message.filter[3] = (struct inet_diag_bc_op){0, 0, (unsigned short)port};
        message.attribute.rta_type = INET_DIAG_REQ_BYTECODE;
        message.attribute.rta_len = (unsigned short)RTA_LENGTH(filter_length);
        length = NLMSG_ALIGN(length) + RTA_ALIGN(message.attribute.rta_len);
    }
    message.header.nlmsg_len = (unsigned int)length;
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, &message, length, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    char buffer[16384] __attribute__((aligned(8)));
    for (;;) {
        ssize_t received = recv(fd, buffer, sizeof buffer, 0);
        if (received < 0) {
            if (errno == EINTR) {
                continue;
            }
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        for (struct nlmsghdr *header = (struct nlmsghdr *)buffer; NLMSG_OK(header, (unsigned int)received);
             header = NLMSG_NEXT(header, received)) {
            if (header->nlmsg_type == NLMSG_DONE) {
                close(fd);
                return 0;
            }
            if (header->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *error = NLMSG_DATA(header);
                close(fd);
                errno = error->error ? -error->error : EIO;
                return -1;
            }
            visit(NLMSG_DATA(header), context);
        }
    }
}

long tyger_accepting_inode(int port) {
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        return -1;
    }
    struct {
        struct nlmsghdr header;
        struct inet_diag_req_v2 request;
    } message;
    memset(&message, 0, sizeof message);
    message.header.nlmsg_len = sizeof message;
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST;
    message.request.sdiag_family = AF_INET;
    message.request.sdiag_protocol = IPPROTO_TCP;
    message.request.idiag_states = ~0U;
    /* The socket's side is the source: 127.0.0.1:port; the peer is any port of 127.0.0.1. */
    message.request.id.idiag_sport = htons((unsigned short)port);
    message.request.id.idiag_dport = htons(1);
    message.request.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
    message.request.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
    message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, &message, sizeof message, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    char buffer[8192] __attribute__((aligned(8)));
    ssize_t received;
    do {
        received = recv(fd, buffer, sizeof buffer, 0);
    } while (received < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (received < 0) {
        errno = saved;
        return -1;
    }
    struct nlmsghdr *header = (struct nlmsghdr *)buffer;
    if (!NLMSG_OK(header, (unsigned int)received)) {
        errno = EIO;
        return -1;
    }
    if (header->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *error = NLMSG_DATA(header);
        if (error->error == -ENOENT) {
            return 0;
        }
        errno = error->error ? -error->error : EIO;
        return -1;
    }
    struct inet_diag_msg *reply = NLMSG_DATA(header);
    return reply->idiag_state == 10 /* TCP_LISTEN */ ? (long)reply->idiag_inode : 0;
}

typedef struct {
    unsigned long *inodes;
    int capacity;
    int count;
} inode_collector;

static void collect_inode(const struct inet_diag_msg *message, void *context) {
    inode_collector *collector = context;
    if (collector->count < collector->capacity) {
        collector->inodes[collector->count] = message->idiag_inode;
    }
    collector->count++;
}

int tyger_listening_inodes(int port, unsigned long inodes[], int capacity) {
    inode_collector collector = {inodes, capacity, 0};
    if (diag_listeners(AF_INET, port, collect_inode, &collector) != 0) {
        return -1;
    }
    if (diag_listeners(AF_INET6, port, collect_inode, &collector) != 0 && errno != ENOENT) {
        return -1;
    }
    return collector.count;
}

typedef struct {
    const unsigned long *inodes;
    int inode_count;
    int *ports;
    int capacity;
    int count;
} port_collector;

static void collect_port(const struct inet_diag_msg *message, void *context) {
    port_collector *collector = context;
    for (int index = 0; index < collector->inode_count; index++) {
        if (collector->inodes[index] == message->idiag_inode) {
            if (collector->count < collector->capacity) {
                collector->ports[collector->count] = ntohs(message->id.idiag_sport);
            }
            collector->count++;
            return;
        }
    }
}

int tyger_listening_ports(const unsigned long inodes[], int count, int ports[], int capacity) {
    port_collector collector = {inodes, count, ports, capacity, 0};
    if (diag_listeners(AF_INET, 0, collect_port, &collector) != 0) {
        return -1;
    }
    if (diag_listeners(AF_INET6, 0, collect_port, &collector) != 0 && errno != ENOENT) {
        return -1;
    }
    return collector.count;
}

/* Adds the socket inodes open in process `pid` to the list; returns -1 if its fd folder
   cannot be read (the process is gone, or not ours). */
static int add_socket_inodes(pid_t pid, unsigned long inodes[], int capacity, int *count) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *folder = opendir(path);
    if (folder == NULL) {
        return -1;
    }
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') {
            continue;
        }
        char link[96];
        char target[64];
        snprintf(link, sizeof link, "%s/%s", path, entry->d_name);
        ssize_t length = readlink(link, target, sizeof target - 1);
        if (length <= 0) {
            continue;
        }
        target[length] = 0;
        unsigned long inode;
        if (sscanf(target, "socket:[%lu]", &inode) == 1) {
            if (*count < capacity) {
                inodes[*count] = inode;
            }
            (*count)++;
        }
    }
    closedir(folder);
    return 0;
}

int tyger_tree_socket_inodes(pid_t root, unsigned long inodes[], int capacity) {
    /* A breadth-first walk over /proc/PID/task/TID/children; bounded so a fork bomb in the
       tree cannot make the host walk forever. */
    enum { maximum_processes = 4096 };
    pid_t *queue = malloc(sizeof(pid_t) * maximum_processes);
    if (queue == NULL) {
        return -1;
    }
    int head = 0, tail = 0, count = 0;
    queue[tail++] = root;
    while (head < tail) {
        pid_t pid = queue[head++];
        if (add_socket_inodes(pid, inodes, capacity, &count) != 0 && pid == root) {
            int saved = errno;
            free(queue);
            errno = saved;
            return -1;
        }
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
        DIR *tasks = opendir(path);
        if (tasks == NULL) {
            continue;
        }
        struct dirent *task;
        while ((task = readdir(tasks)) != NULL) {
            if (task->d_name[0] < '0' || task->d_name[0] > '9') {
                continue;
            }
            char children_path[128];
            snprintf(children_path, sizeof children_path, "%s/%s/children", path, task->d_name);
            FILE *children = fopen(children_path, "re");
            if (children == NULL) {
                continue;
            }
            int child;
            while (fscanf(children, "%d", &child) == 1) {
                if (tail < maximum_processes) {
                    queue[tail++] = child;
                }
            }
            fclose(children);
        }
        closedir(tasks);
    }
    free(queue);
    return count;
}

/* --- byte locks ------------------------------------------------------------------------ */

int tyger_lock_byte(int fd, long offset, int lock) {
    struct flock request;
    memset(&request, 0, sizeof request);
    request.l_type = lock ? F_WRLCK : F_UNLCK;
    request.l_whence = SEEK_SET;
    request.l_start = offset;
    request.l_len = 1;
    return fcntl(fd, F_OFD_SETLK, &request);
}
