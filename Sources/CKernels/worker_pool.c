// The spinning worker pool declared in worker_pool.h.
//
// Hand-off: the caller writes the task, then bumps the `generation` counter of each worker it
// needs (only those: a worker left out never reads a task that may change under it); a worker
// that sees its generation change runs its piece and bumps `finished`; the caller runs piece 0
// and spins until `finished` reaches pieces − 1, so the task stays put while anyone reads it.
//
// A worker whose generation has not changed for CK_POOL_SPIN_MICROSECONDS sleeps on `wake`,
// counted in `sleepers`, and the caller broadcasts only when someone sleeps. The sleeper
// increments `sleepers` and then re-reads its generation; the caller bumps the generation and
// then reads `sleepers` (all sequentially consistent), so one of them sees the other's write
// and no wake-up is lost. The sleeper re-reads under the lock the broadcaster takes, so a
// broadcast cannot fall between its check and its wait either.
#include "worker_pool.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void relax(void) { _mm_pause(); }
#elif defined(__aarch64__)
static inline void relax(void) { __asm__ __volatile__("yield"); }
#else
static inline void relax(void) {}
#endif

// One worker's counter, on its own cache line so that spinning on it does not slow the others.
typedef struct {
    _Atomic unsigned long generation;
    char pad[64 - sizeof(unsigned long)];
} worker_slot;

struct ck_pool {
    long threads;
    pthread_t *workers;
    worker_slot *slots;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    _Atomic long finished;
    _Atomic long sleepers;
    _Atomic int busy;
    _Atomic int stopping;
    // The task of the current generation, written before the generations are bumped.
    void (*task)(void *, long, long);
    void *context;
    long pieces;
};

typedef struct { ck_pool *pool; long index; } worker_start;

static unsigned long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

// Waits until `*generation` differs from `seen`: spins, then sleeps. Returns the new value.
static unsigned long await_generation(ck_pool *pool, _Atomic unsigned long *generation, unsigned long seen) {
    unsigned long long deadline = 0;
    for (unsigned spins = 1;; spins++) {
        unsigned long g = atomic_load_explicit(generation, memory_order_acquire);
        if (g != seen) return g;
        relax();
        if ((spins & 63) != 0) continue;
        unsigned long long t = now_ns();
        if (deadline == 0) deadline = t + CK_POOL_SPIN_MICROSECONDS * 1000ull;
        if (t < deadline) continue;
        pthread_mutex_lock(&pool->lock);
        atomic_fetch_add(&pool->sleepers, 1);
        while ((g = atomic_load(generation)) == seen) pthread_cond_wait(&pool->wake, &pool->lock);
        atomic_fetch_sub(&pool->sleepers, 1);
        pthread_mutex_unlock(&pool->lock);
        return g;
    }
}

static void *worker_main(void *argument) {
    worker_start start = *(worker_start *)argument;
    free(argument);
    ck_pool *pool = start.pool;
    _Atomic unsigned long *generation = &pool->slots[start.index].generation;
    unsigned long seen = 0;
    for (;;) {
        seen = await_generation(pool, generation, seen);
        if (atomic_load(&pool->stopping)) return NULL;
        pool->task(pool->context, start.index, pool->pieces);
        atomic_fetch_add_explicit(&pool->finished, 1, memory_order_release);
    }
}

ck_pool *ck_pool_create(long threads) {
    ck_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->threads = threads < 1 ? 1 : threads;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc((size_t)pool->threads, sizeof *pool->workers);
    pool->slots = aligned_alloc(64, (size_t)pool->threads * sizeof *pool->slots);
    if (pool->slots)
        for (long i = 0; i < pool->threads; i++) atomic_init(&pool->slots[i].generation, 0);
    long started = 1;
    for (; pool->workers && pool->slots && started < pool->threads; started++) {
        worker_start *start = malloc(sizeof *start);
        if (!start) break;
        *start = (worker_start){pool, started};
        if (pthread_create(&pool->workers[started], NULL, worker_main, start) != 0) {
            free(start);
            break;
        }
    }
    pool->threads = started;  // fewer when threads could not be made: the pool still works
    return pool;
}

long ck_pool_threads(const ck_pool *pool) { return pool->threads; }

long ck_pool_sleeping(const ck_pool *pool) { return atomic_load(&((ck_pool *)pool)->sleepers); }

// Starts workers 1 ..< count on the task written before.
static void publish(ck_pool *pool, long count) {
    for (long i = 1; i < count; i++) atomic_fetch_add(&pool->slots[i].generation, 1);
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
}

void ck_pool_run(ck_pool *pool, long pieces, void (*task)(void *, long, long), void *context) {
    if (pieces > pool->threads) pieces = pool->threads;
    int idle = 0;
    if (pieces <= 1 || !atomic_compare_exchange_strong(&pool->busy, &idle, 1)) {
        for (long piece = 0; piece < pieces; piece++) task(context, piece, pieces);
        return;
    }
    pool->task = task;
    pool->context = context;
    pool->pieces = pieces;
    atomic_store_explicit(&pool->finished, 0, memory_order_relaxed);
    publish(pool, pieces);
    task(context, 0, pieces);
    while (atomic_load_explicit(&pool->finished, memory_order_acquire) < pieces - 1) relax();
    atomic_store(&pool->busy, 0);
}

void ck_pool_destroy(ck_pool *pool) {
    if (!pool) return;
    atomic_store(&pool->stopping, 1);
    publish(pool, pool->threads);
    for (long i = 1; i < pool->threads; i++) pthread_join(pool->workers[i], NULL);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->wake);
    free(pool->workers);
    free(pool->slots);
    free(pool);
}
