# Two variants of the service, one per deployment controller, because their
# lifecycles differ and ignore_changes cannot be made conditional. Exactly one
# exists.
#
# Both always ignore desired_count. With autoscaling the autoscaler owns the
# count, and Terraform resetting it on every apply would undo a scale-out in
# the middle of a burst. A variant per autoscaling setting would avoid that
# only at the price of replacing the service (a short outage: a new service
# of the same name cannot start before the old one is gone) whenever
# autoscaling is switched on or off. So desired_count is the count the service
# starts with; without autoscaling, change it later with
# `aws ecs update-service --desired-count N`.

resource "aws_ecs_service" "this" {
  count = var.enable_blue_green ? 0 : 1

  name             = var.name
  cluster          = aws_ecs_cluster.this.id
  task_definition  = aws_ecs_task_definition.this.arn
  desired_count    = var.desired_count
  platform_version = "LATEST"

  # Placement through the capacity providers (no launch_type), so that Spot
  # can take a share of the tasks.
  dynamic "capacity_provider_strategy" {
    for_each = local.capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      base              = capacity_provider_strategy.value.base
      weight            = capacity_provider_strategy.value.weight
    }
  }

  # Without it the provider replaces the whole service when the capacity
  # provider strategy changes; with it the change rolls out as a deployment.
  force_new_deployment = true

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.app_container_name
    container_port   = var.app_port
  }

  health_check_grace_period_seconds = var.health_check_grace_period_seconds

  # New tasks start beside the old ones; capacity never drops during a deployment.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_controller {
    type = "ECS"
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "alarms" {
    for_each = length(var.deployment_alarm_names) > 0 ? [var.deployment_alarm_names] : []

    content {
      alarm_names = alarms.value
      enable      = true
      rollback    = true
    }
  }

  availability_zone_rebalancing = "ENABLED"

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  # The image has no shell to execute into.
  enable_execute_command = false

  tags = {
    Name = var.name
  }

  # After creation the deploy pipeline owns the running revision: it registers a copy
  # of the family's latest revision with the new image and waits for the service to
  # settle, and the circuit breaker or the alarms may roll it back. Terraform tracking
  # the revision would undo a deploy, or redeploy a rolled-back image, on any later
  # apply. Changes Terraform makes to the task definition go out with the next deploy.
  lifecycle {
    ignore_changes = [desired_count, task_definition]
  }

  # The capacity providers must be associated before the service uses them,
  # and the roles' policies must outlive the tasks when the service is
  # destroyed.
  depends_on = [
    aws_ecs_cluster_capacity_providers.this,
    aws_iam_role_policy.execution,
    aws_iam_role_policy.task,
  ]
}

resource "aws_ecs_service" "blue_green" {
  count = var.enable_blue_green ? 1 : 0

  name             = var.name
  cluster          = aws_ecs_cluster.this.id
  task_definition  = aws_ecs_task_definition.this.arn
  desired_count    = var.desired_count
  platform_version = "LATEST"

  dynamic "capacity_provider_strategy" {
    for_each = local.capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      base              = capacity_provider_strategy.value.base
      weight            = capacity_provider_strategy.value.weight
    }
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.app_container_name
    container_port   = var.app_port
  }

  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  # CodeDeploy runs the deployments: no circuit breaker and no deployment
  # alarms here (ECS refuses both with this controller); the deployment group
  # rolls back on failure and on its alarms instead.
  deployment_controller {
    type = "CODE_DEPLOY"
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  enable_execute_command  = false

  tags = {
    Name = var.name
  }

  lifecycle {
    # Each CodeDeploy deployment sets the task definition, swaps the target
    # group between blue and green and may set the capacity provider strategy
    # (AppSpec); ECS refuses those updates outside a deployment. Terraform
    # keeps out of them after creation.
    ignore_changes = [desired_count, task_definition, load_balancer, capacity_provider_strategy]
  }

  depends_on = [
    aws_ecs_cluster_capacity_providers.this,
    aws_iam_role_policy.execution,
    aws_iam_role_policy.task,
  ]
}

locals {
  service_name = one(concat(aws_ecs_service.this[*].name, aws_ecs_service.blue_green[*].name))
}
