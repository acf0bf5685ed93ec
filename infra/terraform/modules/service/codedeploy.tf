resource "aws_iam_role" "codedeploy" {
  count = var.enable_blue_green ? 1 : 0

  name                 = "${var.name}-codedeploy"
  description          = "CodeDeploy blue/green deployments of the ECS service ${var.name}."
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codedeploy.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })

  tags = {
    Name = "${var.name}-codedeploy"
  }
}

# The AWS managed policy for ECS blue/green: task sets, listener rules and
# target groups, and iam:PassRole limited to ecs-tasks.amazonaws.com.
resource "aws_iam_role_policy_attachment" "codedeploy" {
  count = var.enable_blue_green ? 1 : 0

  role       = aws_iam_role.codedeploy[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AWSCodeDeployRoleForECS"
}

resource "aws_codedeploy_app" "this" {
  count = var.enable_blue_green ? 1 : 0

  name             = var.name
  compute_platform = "ECS"

  tags = {
    Name = var.name
  }
}

resource "aws_codedeploy_deployment_group" "this" {
  count = var.enable_blue_green ? 1 : 0

  app_name               = aws_codedeploy_app.this[0].name
  deployment_group_name  = var.name
  service_role_arn       = aws_iam_role.codedeploy[0].arn
  deployment_config_name = var.codedeploy_deployment_config

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  blue_green_deployment_config {
    deployment_ready_option {
      action_on_timeout = "CONTINUE_DEPLOYMENT"
    }

    # The old tasks are kept for a while after the switch, so that a rollback
    # only moves the traffic back.
    terminate_blue_instances_on_deployment_success {
      action                           = "TERMINATE"
      termination_wait_time_in_minutes = var.codedeploy_termination_wait_minutes
    }
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  dynamic "alarm_configuration" {
    for_each = length(var.deployment_alarm_names) > 0 ? [var.deployment_alarm_names] : []

    content {
      enabled = true
      alarms  = alarm_configuration.value
    }
  }

  ecs_service {
    cluster_name = aws_ecs_cluster.this.name
    service_name = aws_ecs_service.blue_green[0].name
  }

  load_balancer_info {
    target_group_pair_info {
      prod_traffic_route {
        listener_arns = [var.https_listener_arn]
      }

      test_traffic_route {
        listener_arns = [var.test_listener_arn]
      }

      target_group {
        name = var.target_group_name
      }

      target_group {
        name = var.green_target_group_name
      }
    }
  }

  tags = {
    Name = var.name
  }

  depends_on = [aws_iam_role_policy_attachment.codedeploy]
}
