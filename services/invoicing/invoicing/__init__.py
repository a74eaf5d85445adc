"""The invoicing service: price lists, promotions, taxes, invoices, credit memos, deposits, balances."""
