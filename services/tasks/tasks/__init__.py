"""The tasks service: task types, their statuses, tasks and customer-service tickets."""
