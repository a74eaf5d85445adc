from proofsheet_shared.contracts.tasks import (AdvanceStatusInSchema, AdvanceStatusOutSchema, TaskInSchema,
                                               TaskListArgs, TaskOutSchema, TaskPageSchema,
                                               TaskStatusInSchema, TaskStatusListArgs, TaskStatusListSchema,
                                               TaskStatusOutSchema, TaskTypeInSchema, TaskTypeListSchema,
                                               TaskTypeOutSchema)

from ..api import Api
from ..auth import rpc

api = Api("tasks")

# A bulk advance of thousands of tasks takes longer than a read.
ADVANCE_TIMEOUT = 60


@api.route("/tasks", "GET", "The task hub: filter by type, status, open, assignee, overdue, due range, "
           "linked client, session or invoice; ordered by due date (undated last)", "tasks",
           query=TaskListArgs, response=TaskPageSchema, permission="tasks.read")
def get_tasks(args):
    return rpc("tasks", "list_tasks", args)


@api.route("/tasks", "POST", "Create a task (the \"New Task\" button on a client, session or invoice "
           "sends its id)", "tasks", body=TaskInSchema, response=TaskOutSchema, status=201,
           permission="tasks.write")
def post_task(body):
    return rpc("tasks", "create_task", body)


@api.route("/tasks/advance-status", "POST", "Move each listed task to the next status of its type; "
           "one result per id", "tasks", body=AdvanceStatusInSchema, response=AdvanceStatusOutSchema,
           permission="tasks.write")
def post_advance_status(body):
    return rpc("tasks", "advance_status", body, timeout=ADVANCE_TIMEOUT)


@api.route("/tasks/<int:task_id>", "GET", "One task with its history (status changes, reassignments)",
           "tasks", response=TaskOutSchema, permission="tasks.read")
def get_task(task_id):
    return rpc("tasks", "get_task", task_id)


@api.route("/tasks/<int:task_id>", "PATCH", "Change a task (a new type without status_id: its first status)",
           "tasks", body=TaskInSchema, partial=True, response=TaskOutSchema, permission="tasks.write")
def patch_task(task_id, body):
    return rpc("tasks", "update_task", task_id, body)


@api.route("/tasks/<int:task_id>", "DELETE", "Delete a task and its history", "tasks", status=204,
           permission="tasks.write")
def delete_task(task_id):
    rpc("tasks", "delete_task", task_id)
    return "", 204


@api.route("/task-types", "GET", "Task types, each with its statuses in order", "task types",
           response=TaskTypeListSchema, permission="tasks.read")
def get_task_types():
    return rpc("tasks", "list_task_types")


@api.route("/task-types", "POST", "Add a task type (optionally with its statuses, in order)", "task types",
           body=TaskTypeInSchema, response=TaskTypeOutSchema, status=201, permission="tasks.configure",
           extra_responses={409: "a type of that name exists"})
def post_task_type(body):
    return rpc("tasks", "create_task_type", body)


@api.route("/task-types/<int:type_id>", "GET", "One task type with its statuses", "task types",
           response=TaskTypeOutSchema, permission="tasks.read")
def get_task_type(type_id):
    return rpc("tasks", "get_task_type", type_id)


@api.route("/task-types/<int:type_id>", "PATCH", "Change a task type", "task types", body=TaskTypeInSchema,
           partial=True, response=TaskTypeOutSchema, permission="tasks.configure")
def patch_task_type(type_id, body):
    return rpc("tasks", "update_task_type", type_id, body)


@api.route("/task-types/<int:type_id>", "DELETE", "Remove a task type and its statuses (refused while "
           "tasks use it)", "task types", status=204, permission="tasks.configure",
           extra_responses={409: "tasks use the type"})
def delete_task_type(type_id):
    rpc("tasks", "delete_task_type", type_id)
    return "", 204


@api.route("/task-statuses", "GET", "Task statuses (of one type with task_type_id), in order", "task types",
           query=TaskStatusListArgs, response=TaskStatusListSchema, permission="tasks.read")
def get_task_statuses(args):
    return rpc("tasks", "list_task_statuses", args)


@api.route("/task-statuses", "POST", "Add a status to a task type", "task types", body=TaskStatusInSchema,
           response=TaskStatusOutSchema, status=201, permission="tasks.configure",
           extra_responses={409: "the type has a status of that name"})
def post_task_status(body):
    return rpc("tasks", "create_task_status", body)


@api.route("/task-statuses/<int:status_id>", "PATCH", "Rename, reorder or mark a status open/closed (its "
           "tasks follow)", "task types", body=TaskStatusInSchema, partial=True, response=TaskStatusOutSchema,
           permission="tasks.configure")
def patch_task_status(status_id, body):
    return rpc("tasks", "update_task_status", status_id, body)


@api.route("/task-statuses/<int:status_id>", "DELETE", "Remove a status (refused while tasks are in it)",
           "task types", status=204, permission="tasks.configure", extra_responses={409: "tasks are in it"})
def delete_task_status(status_id):
    rpc("tasks", "delete_task_status", status_id)
    return "", 204
