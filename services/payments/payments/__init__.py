"""The payments service: payments and refunds, methods, processors, receipts, audit notes."""
