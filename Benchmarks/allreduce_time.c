// The all-reduce a data-parallel step costs on its own: MPI_Allreduce (sum, in place) of COUNT
// floats, timed after a barrier so that no rank waits for a slower one (what charlstm's own
// "all-reduce ms/step" includes). Prints one JSON line from rank 0: the median and the best of
// REPEATS calls, each the slowest rank's time. Built and run by Benchmarks/data_parallel.py:
//
//     mpicc -O2 Benchmarks/allreduce_time.c -o allreduce_time
//     mpirun -np 2 … ./allreduce_time COUNT [REPEATS]
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long count = argc > 1 ? atol(argv[1]) : 0;
    int repeats = argc > 2 ? atoi(argv[2]) : 20;
    if (count <= 0 || count > 1L << 30 || repeats <= 0) {
        if (rank == 0) fprintf(stderr, "usage: allreduce_time COUNT [REPEATS]\n");
        MPI_Finalize();
        return 2;
    }
    float *values = malloc(count * sizeof *values);
    double *seconds = malloc(repeats * sizeof *seconds);
    for (long k = 0; k < count; k++) values[k] = 1.0f;
    for (int r = -2; r < repeats; r++) {  // two warm-up calls set up the connections
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double own = MPI_Wtime() - start, slowest;
        MPI_Allreduce(&own, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (r >= 0) seconds[r] = slowest;
    }
    qsort(seconds, repeats, sizeof *seconds, ascending);
    if (rank == 0)
        printf("{\"ranks\": %d, \"floats\": %ld, \"median_ms\": %.3f, \"best_ms\": %.3f}\n", size, count,
               1000 * seconds[repeats / 2], 1000 * seconds[0]);
    free(values);
    free(seconds);
    MPI_Finalize();
    return 0;
}
