// OpenBLAS's CBLAS interface plus its extensions (thread count, chosen kernel name).
#include <cblas.h>
