// A pool of worker threads for work handed off many times per character: the products of
// sampling, each tens of microseconds long. A hand-off must cost far less than that, so an
// idle worker spins on its own counter for CK_POOL_SPIN_MICROSECONDS before it sleeps on a
// condition variable (as ggml's thread pool does): while text is being written the workers
// never sleep, and once work stops (a REPL waiting at its prompt) they are all asleep within
// a fraction of a millisecond and use no CPU.
#ifndef CHARLSTM_WORKER_POOL_H
#define CHARLSTM_WORKER_POOL_H

typedef struct ck_pool ck_pool;

enum { CK_POOL_SPIN_MICROSECONDS = 200 };

/// A pool in which `threads` threads work, the caller's included (so `threads` − 1 workers).
/// NULL when not even the pool's memory can be had; fewer threads when some cannot be started.
ck_pool *ck_pool_create(long threads);
void ck_pool_destroy(ck_pool *pool);
/// Threads that work on a task, the caller's included.
long ck_pool_threads(const ck_pool *pool);

/// Runs task(context, piece, pieces) for every piece < pieces (at most the pool's threads;
/// piece 0 on the calling thread) and returns when all are done. When another thread is
/// running the pool at that moment, the caller runs every piece itself instead of waiting.
void ck_pool_run(ck_pool *pool, long pieces, void (*task)(void *context, long piece, long pieces), void *context);

/// Workers asleep at this moment (tests check that idle workers go to sleep).
long ck_pool_sleeping(const ck_pool *pool);

#endif
