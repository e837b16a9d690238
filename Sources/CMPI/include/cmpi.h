#ifndef CMPI_H
#define CMPI_H

/// The few MPI calls data-parallel training needs, on Open MPI loaded at run time.
///
/// Why not a system-library target over <mpi.h>: SwiftPM compiles every module that imports
/// one, so a machine without libopenmpi-dev could not build charlstm at all; and a conditional
/// in Package.swift would link libmpi into the binary (which then fails to start where Open
/// MPI is missing), while SwiftPM caches the manifest's answer, so installing Open MPI later
/// would not be noticed. Loading libmpi with dlopen when `mpirun` launched the process keeps
/// one binary that builds and runs everywhere and trains data-parallel wherever Open MPI is.
///
/// The price is that the declarations below are written here rather than taken from <mpi.h>.
/// They are Open MPI's ABI (libmpi.so.40: Open MPI 3.0 to 5.x): handles are pointers to
/// exported structs (MPI_COMM_WORLD is &ompi_mpi_comm_world), which is also why Swift could not
/// use them even from <mpi.h> (they are macros taking an address).
/// Every call returns MPI's error code (0: success).

/// Loads libmpi; NULL on success, else a sentence saying what failed.
const char *cmpi_load(void);
/// MPI_Init_thread asking for MPI_THREAD_FUNNELED: only the main thread calls MPI.
int cmpi_init(void);
int cmpi_finalize(void);
int cmpi_rank(int *rank);
int cmpi_size(int *size);
/// This host's name as MPI reports it (at most `capacity` bytes, NUL-terminated).
int cmpi_processor_name(char *name, int capacity);
/// Sums `count` floats over all ranks, in place; every rank gets the same result.
int cmpi_allreduce_sum_float(float *values, int count);
/// The largest of each of `count` ints over all ranks, in place.
int cmpi_allreduce_max_int(int *values, int count);
/// Rank `root`'s `count` bytes into every rank's `buffer`.
int cmpi_broadcast_bytes(void *buffer, int count, int root);
/// Every rank's `count` bytes, in rank order, into `received` on rank `root` (count·size bytes).
int cmpi_gather_bytes(const void *sent, int count, void *received, int root);
/// Ends every process of the job with `code`.
int cmpi_abort(int code);
/// MPI's description of an error code.
void cmpi_error_string(int code, char *text, int capacity);

#endif
