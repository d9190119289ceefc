/* libvirtio: numbers from the virtio 1.x specification (PCI transport, split rings, block, net). */
#ifndef LIBVIRTIO_VIRTIO_SPEC_H
#define LIBVIRTIO_VIRTIO_SPEC_H

#include <stdint.h>

/* PCI config space: the registers a virtio driver reads. */
#define PCI_CFG_VENDOR 0x00u
#define PCI_CFG_DEVICE 0x02u
#define PCI_CFG_COMMAND 0x04u
#define PCI_CFG_STATUS 0x06u
#define PCI_CFG_CAP_PTR 0x34u
#define PCI_CMD_MEMORY 0x0002u     /* memory space decode */
#define PCI_CMD_BUS_MASTER 0x0004u /* the function may issue DMA */
#define PCI_STATUS_CAP_LIST 0x0010u
#define PCI_CAP_ID_VENDOR 0x09u
#define PCI_VENDOR_VIRTIO 0x1af4u
#define PCI_DEVICE_VIRTIO_MODERN 0x1040u /* + virtio device id */
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u

/* A virtio vendor capability: where one configuration structure lies in which BAR. */
#define VIRTIO_CAP_TYPE 3u /* byte offsets inside the capability */
#define VIRTIO_CAP_BAR 4u
#define VIRTIO_CAP_OFFSET 8u
#define VIRTIO_CAP_LENGTH 12u
#define VIRTIO_CAP_NOTIFY_MULT 16u /* notify capability only */
#define VIRTIO_CAP_MIN_LEN 16u
#define VIRTIO_CAP_NOTIFY_LEN 20u
#define VIRTIO_PCI_CAP_COMMON 1u
#define VIRTIO_PCI_CAP_NOTIFY 2u
#define VIRTIO_PCI_CAP_ISR 3u
#define VIRTIO_PCI_CAP_DEVICE 4u

/* The common configuration structure (byte offsets, little-endian fields). */
#define VIRTIO_COMMON_DFSELECT 0x00u /* le32 device_feature_select */
#define VIRTIO_COMMON_DF 0x04u       /* le32 device_feature */
#define VIRTIO_COMMON_GFSELECT 0x08u /* le32 driver_feature_select */
#define VIRTIO_COMMON_GF 0x0cu       /* le32 driver_feature */
#define VIRTIO_COMMON_MSIX 0x10u     /* le16 config_msix_vector */
#define VIRTIO_COMMON_NUMQ 0x12u     /* le16 num_queues */
#define VIRTIO_COMMON_STATUS 0x14u   /* u8 device_status */
#define VIRTIO_COMMON_CFGGEN 0x15u   /* u8 config_generation */
#define VIRTIO_COMMON_Q_SELECT 0x16u /* le16 queue_select */
#define VIRTIO_COMMON_Q_SIZE 0x18u   /* le16 queue_size */
#define VIRTIO_COMMON_Q_MSIX 0x1au   /* le16 queue_msix_vector */
#define VIRTIO_COMMON_Q_ENABLE 0x1cu /* le16 queue_enable */
#define VIRTIO_COMMON_Q_NOFF 0x1eu   /* le16 queue_notify_off */
#define VIRTIO_COMMON_Q_DESC 0x20u   /* le64 queue_desc */
#define VIRTIO_COMMON_Q_AVAIL 0x28u  /* le64 queue_driver */
#define VIRTIO_COMMON_Q_USED 0x30u   /* le64 queue_device */
#define VIRTIO_COMMON_LEN 0x38u      /* the structure up to here */
#define VIRTIO_MSI_NO_VECTOR 0xffffu

/* device_status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER 0x02u
#define VIRTIO_STATUS_DRIVER_OK 0x04u
#define VIRTIO_STATUS_FEATURES_OK 0x08u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED 0x80u

/* Feature bits every device type shares. */
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_F_ACCESS_PLATFORM (1ull << 33)
#define VIRTIO_F_RING_PACKED (1ull << 34)

/* Split virtqueue layout. */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

struct virtq_desc {
	uint64_t addr; /* device address */
	uint32_t len;
	uint16_t flags; /* VIRTQ_DESC_F_* */
	uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtio split ring");

struct virtq_avail {
	uint16_t flags; /* VIRTQ_AVAIL_F_* */
	uint16_t idx;
	uint16_t ring[]; /* queue size entries, then le16 used_event */
};

struct virtq_used_elem {
	uint32_t id;  /* head of the chain the device finished */
	uint32_t len; /* bytes it wrote */
};

struct virtq_used {
	uint16_t flags; /* VIRTQ_USED_F_* */
	uint16_t idx;
	struct virtq_used_elem ring[]; /* queue size entries, then le16 avail_event */
};

/* virtio-blk: features, config layout, requests. */
#define VIRTIO_BLK_F_SIZE_MAX (1ull << 1)
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_GEOMETRY (1ull << 4)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_F_TOPOLOGY (1ull << 10)
#define VIRTIO_BLK_F_CONFIG_WCE (1ull << 11)
#define VIRTIO_BLK_F_MQ (1ull << 12)
#define VIRTIO_BLK_F_DISCARD (1ull << 13)
#define VIRTIO_BLK_F_WRITE_ZEROES (1ull << 14)

#define VIRTIO_BLK_CFG_CAPACITY 0x00u /* le64, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SEG_MAX 0x0cu  /* le32 */
#define VIRTIO_BLK_CFG_BLK_SIZE 0x14u /* le32 */
#define VIRTIO_BLK_CFG_LEN 0x18u      /* the fields above, and those between */

#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u

/* The header of every block request; a status byte the device writes ends the chain. */
struct virtio_blk_hdr {
	uint32_t type; /* VIRTIO_BLK_T_* */
	uint32_t reserved;
	uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_hdr) == 16, "virtio-blk request header");

/* virtio-net: features, config layout, the header in front of every frame. */
#define VIRTIO_NET_F_CSUM (1ull << 0)
#define VIRTIO_NET_F_GUEST_CSUM (1ull << 1)
#define VIRTIO_NET_F_MTU (1ull << 3)
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_MRG_RXBUF (1ull << 15)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VIRTIO_NET_F_CTRL_VQ (1ull << 17)
#define VIRTIO_NET_F_MQ (1ull << 22)

#define VIRTIO_NET_CFG_MAC 0x00u    /* 6 bytes */
#define VIRTIO_NET_CFG_STATUS 0x06u /* le16, with VIRTIO_NET_F_STATUS */
#define VIRTIO_NET_CFG_LEN 0x08u    /* the fields above */
#define VIRTIO_NET_S_LINK_UP 1u

#define VIRTIO_NET_RXQ 0u /* receiveq1 */
#define VIRTIO_NET_TXQ 1u /* transmitq1 */

/* With VERSION_1 the header is always 12 bytes (num_buffers included; 1 without MRG_RXBUF). */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio-net header");

#endif
