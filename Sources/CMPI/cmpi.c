#include "cmpi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

// Open MPI's ABI (see cmpi.h): every handle is a pointer.
typedef void *handle;
enum { thread_funneled = 1, max_processor_name = 256 };
#define in_place ((void *)1)

static struct {
    int (*init_thread)(int *, char ***, int, int *);
    int (*finalize)(void);
    int (*comm_rank)(handle, int *);
    int (*comm_size)(handle, int *);
    int (*get_processor_name)(char *, int *);
    int (*allreduce)(const void *, void *, int, handle, handle, handle);
    int (*bcast)(void *, int, handle, int, handle);
    int (*gather)(const void *, int, handle, void *, int, handle, int, handle);
    int (*abort)(handle, int);
    int (*error_string)(int, char *, int *);
    handle world, float_type, int_type, byte_type, sum, max;
} mpi;

static char load_error[512];

static void *find(void *library, const char *name, int *missing) {
    void *symbol = dlsym(library, name);
    if (!symbol && !*missing) {
        snprintf(load_error, sizeof load_error, "libmpi has no %s: it is not Open MPI 3 or later", name);
        *missing = 1;
    }
    return symbol;
}

const char *cmpi_load(void) {
    // RTLD_GLOBAL: Open MPI's components are plugins that it loads itself and that resolve
    // libmpi's symbols globally.
    void *library = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(load_error, sizeof load_error,
                 "cannot load Open MPI's libmpi.so.40 (%s): install Open MPI (Debian: openmpi-bin libopenmpi-dev)", dlerror());
        return load_error;
    }
    int missing = 0;
    *(void **)&mpi.init_thread = find(library, "MPI_Init_thread", &missing);
    *(void **)&mpi.finalize = find(library, "MPI_Finalize", &missing);
    *(void **)&mpi.comm_rank = find(library, "MPI_Comm_rank", &missing);
    *(void **)&mpi.comm_size = find(library, "MPI_Comm_size", &missing);
    *(void **)&mpi.get_processor_name = find(library, "MPI_Get_processor_name", &missing);
    *(void **)&mpi.allreduce = find(library, "MPI_Allreduce", &missing);
    *(void **)&mpi.bcast = find(library, "MPI_Bcast", &missing);
    *(void **)&mpi.gather = find(library, "MPI_Gather", &missing);
    *(void **)&mpi.abort = find(library, "MPI_Abort", &missing);
    *(void **)&mpi.error_string = find(library, "MPI_Error_string", &missing);
    mpi.world = find(library, "ompi_mpi_comm_world", &missing);
    mpi.float_type = find(library, "ompi_mpi_float", &missing);
    mpi.int_type = find(library, "ompi_mpi_int", &missing);
    mpi.byte_type = find(library, "ompi_mpi_byte", &missing);
    mpi.sum = find(library, "ompi_mpi_op_sum", &missing);
    mpi.max = find(library, "ompi_mpi_op_max", &missing);
    return missing ? load_error : NULL;
}

int cmpi_init(void) {
    int provided = 0;
    return mpi.init_thread(NULL, NULL, thread_funneled, &provided);
}

int cmpi_finalize(void) { return mpi.finalize(); }
int cmpi_rank(int *rank) { return mpi.comm_rank(mpi.world, rank); }
int cmpi_size(int *size) { return mpi.comm_size(mpi.world, size); }

int cmpi_processor_name(char *name, int capacity) {
    char full[max_processor_name + 1];
    int length = 0;
    int status = mpi.get_processor_name(full, &length);
    snprintf(name, (size_t)capacity, "%.*s", length, full);
    return status;
}

int cmpi_allreduce_sum_float(float *values, int count) {
    return mpi.allreduce(in_place, values, count, mpi.float_type, mpi.sum, mpi.world);
}

int cmpi_allreduce_max_int(int *values, int count) {
    return mpi.allreduce(in_place, values, count, mpi.int_type, mpi.max, mpi.world);
}

int cmpi_broadcast_bytes(void *buffer, int count, int root) {
    return mpi.bcast(buffer, count, mpi.byte_type, root, mpi.world);
}

int cmpi_gather_bytes(const void *sent, int count, void *received, int root) {
    return mpi.gather(sent, count, mpi.byte_type, received, count, mpi.byte_type, root, mpi.world);
}

int cmpi_abort(int code) { return mpi.abort(mpi.world, code); }

void cmpi_error_string(int code, char *text, int capacity) {
    char full[512];
    int length = 0;
    if (mpi.error_string && mpi.error_string(code, full, &length) == 0) {
        snprintf(text, (size_t)capacity, "%.*s", length, full);
    } else {
        snprintf(text, (size_t)capacity, "MPI error %d", code);
    }
}
