// Preloaded into the gateway by durable_test (LD_PRELOAD): counts fsync/fdatasync calls on a file whose
// name ends in "-wal" (SQLite's write-ahead log) and writes the running count to the file named by
// HAVEN_WAL_SYNC_COUNT_FILE after every such call. Every call is forwarded to the C library unchanged.
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
long g_count = 0;
int g_out = -1;

int IsWal(int fd) {
    char link[64];
    char target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 4) return 0;
    target[n] = '\0';
    return strcmp(target + n - 4, "-wal") == 0;
}

void Record() {
    pthread_mutex_lock(&g_mutex);
    ++g_count;
    if (g_out < 0) {
        const char* path = getenv("HAVEN_WAL_SYNC_COUNT_FILE");
        if (path != nullptr) g_out = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    }
    if (g_out >= 0) {
        char line[32];
        int len = snprintf(line, sizeof line, "%020ld\n", g_count);    // fixed width: one pwrite replaces it
        if (pwrite(g_out, line, static_cast<size_t>(len), 0) != len) { /* the test then sees an older count */
        }
    }
    pthread_mutex_unlock(&g_mutex);
}

}  // namespace

extern "C" int fsync(int fd) {
    static auto* real = reinterpret_cast<int (*)(int)>(dlsym(RTLD_NEXT, "fsync"));
    if (IsWal(fd)) Record();
    return real(fd);
}

extern "C" int fdatasync(int fd) {
    static auto* real = reinterpret_cast<int (*)(int)>(dlsym(RTLD_NEXT, "fdatasync"));
    if (IsWal(fd)) Record();
    return real(fd);
}
