/* Tier probe: includes an ABI header; every domain's and tool's include path must accept it. */
#include <bulkhead/abi/plan.h>
