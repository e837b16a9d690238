// zlib (zlib1g-dev): deflate for the activations `charlstm inspect` packs into its page.
#include <zlib.h>
