/* ABI error codes: the one error enum every hypercall returns. */
#ifndef BULKHEAD_ABI_ERR_H
#define BULKHEAD_ABI_ERR_H

/*
 * Every hypercall returns one of these in rax. BH_OK is zero; every other
 * value says which check failed. Values are fixed: never renumber.
 */
enum bh_err {
	BH_OK = 0,
	BH_ERR_BAD_CALL = 1,     /* unknown hypercall number */
	BH_ERR_BAD_SLOT = 2,     /* capability slot index out of range */
	BH_ERR_NO_CAP = 3,       /* slot in range but empty */
	BH_ERR_WRONG_TYPE = 4,   /* capability has the wrong type for the call */
	BH_ERR_NO_RIGHT = 5,     /* capability lacks the right the call needs */
	BH_ERR_INVALID = 6,      /* an argument is malformed (reserved bits, range) */
	BH_ERR_WOULD_BLOCK = 7,  /* non-blocking call found nothing to do */
	BH_ERR_DENIED = 8,       /* never allowed on this object (a config write to a BAR) */
	BH_ERR_STATE = 9,        /* the target's state forbids it (resume a faulted domain) */
	BH_ERR_UNAVAILABLE = 10, /* the hardware does not give it (no RDSEED/RDRAND) */
	BH_ERR_COUNT
};

#endif
