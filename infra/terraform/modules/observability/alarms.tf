locals {
  # Every alarm tells the topic both when it fires and when it clears, so the
  # people paged also learn that it is over.
  alarm_actions = [aws_sns_topic.alarms.arn]

  ecs_dimensions = {
    ClusterName = var.cluster_name
    ServiceName = var.service_name
  }

  # The target groups that can carry live traffic. With CodeDeploy blue/green
  # the live one alternates, so the per-target-group alarms watch both; the
  # idle one has no requests and no targets, which the alarms treat as fine.
  # Keyed by the switch, not by the green suffix: the suffix is known only once the
  # green target group exists, and for_each keys must be known at plan.
  target_groups = merge(
    { primary = var.target_group_arn_suffix },
    var.enable_blue_green ? { green = var.green_target_group_arn_suffix } : {},
  )
  target_group_alarm_suffix = {
    primary = ""
    green   = "-green"
  }

  database_enabled = var.database_instance_identifier != null
}

resource "aws_cloudwatch_metric_alarm" "ecs_cpu" {
  alarm_name        = "${var.name}-ecs-cpu-high"
  alarm_description = "Average CPU of the ${var.service_name} tasks has been above ${var.cpu_threshold_percent} % for 5 minutes: autoscaling is at its maximum or not keeping up."

  namespace   = "AWS/ECS"
  metric_name = "CPUUtilization"
  dimensions  = local.ecs_dimensions
  statistic   = "Average"
  period      = 60

  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cpu_threshold_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "missing"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "ecs_memory" {
  alarm_name        = "${var.name}-ecs-memory-high"
  alarm_description = "Average memory of the ${var.service_name} tasks has been above ${var.memory_threshold_percent} % for 5 minutes. The service's measured footprint is 19-25 MiB, so this points to a leak or a task size that is too small."

  namespace   = "AWS/ECS"
  metric_name = "MemoryUtilization"
  dimensions  = local.ecs_dimensions
  statistic   = "Average"
  period      = 60

  comparison_operator = "GreaterThanThreshold"
  threshold           = var.memory_threshold_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "missing"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

# A deployment alarm: the ECS circuit breaker (or CodeDeploy) rolls a
# deployment back when it fires, so it reacts within a few minutes.
resource "aws_cloudwatch_metric_alarm" "alb_5xx_rate" {
  alarm_name        = "${var.name}-alb-5xx-rate"
  alarm_description = "More than ${var.error_rate_threshold_percent} % of requests to ${var.name} were answered with a 5xx (by the tasks or by the load balancer) in 2 of the last 3 minutes."

  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_threshold_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  # No requests is no evidence of errors; an outage without requests reaching
  # a target is caught by the running-task and unhealthy-host alarms.
  treat_missing_data = "notBreaching"

  metric_query {
    id          = "error_rate"
    label       = "5xx error rate (%)"
    return_data = true
    # The 5xx counts are not published for minutes without any, so they are
    # filled with 0 to keep a data point wherever there were requests.
    expression = "IF(requests > 0, 100 * (FILL(target_5xx, 0) + FILL(elb_5xx, 0)) / requests, 0)"
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "target_5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "elb_5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      stat        = "Sum"
      period      = 60
    }
  }

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

# A deployment alarm, one per target group that can carry live traffic.
resource "aws_cloudwatch_metric_alarm" "alb_p99_latency" {
  for_each = local.target_groups

  alarm_name        = "${var.name}-alb-p99-latency${local.target_group_alarm_suffix[each.key]}"
  alarm_description = "The 99th percentile of the response time of the ${each.key} target group of ${var.name} has been above ${var.p99_latency_threshold_seconds} s in 3 of the last 3 minutes."

  namespace          = "AWS/ApplicationELB"
  metric_name        = "TargetResponseTime"
  extended_statistic = "p99"
  dimensions = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = each.value
  }
  period = 60

  comparison_operator = "GreaterThanThreshold"
  threshold           = var.p99_latency_threshold_seconds
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  # A percentile over a handful of requests is one slow request: it is judged
  # only once a minute has enough samples to be meaningful.
  evaluate_low_sample_count_percentiles = "ignore"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

# A deployment alarm, one per target group that can carry live traffic.
resource "aws_cloudwatch_metric_alarm" "alb_unhealthy_hosts" {
  for_each = local.target_groups

  alarm_name        = "${var.name}-alb-unhealthy-hosts${local.target_group_alarm_suffix[each.key]}"
  alarm_description = "At least one target of the ${each.key} target group of ${var.name} has failed its /health check for 2 minutes. /health never touches dependencies, so the task itself is broken."

  namespace   = "AWS/ApplicationELB"
  metric_name = "UnHealthyHostCount"
  dimensions = {
    TargetGroup  = each.value
    LoadBalancer = var.alb_arn_suffix
  }
  statistic = "Maximum"
  period    = 60

  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "ecs_running_tasks" {
  alarm_name        = "${var.name}-ecs-running-tasks-low"
  alarm_description = "Fewer than ${var.min_running_tasks} tasks of ${var.service_name} have been running for 3 minutes: tasks are crashing, cannot be placed, or cannot pull their image."

  # Container Insights (on for the cluster) publishes the task counts.
  namespace   = "ECS/ContainerInsights"
  metric_name = "RunningTaskCount"
  dimensions  = local.ecs_dimensions
  statistic   = "Minimum"
  period      = 60

  comparison_operator = "LessThanThreshold"
  threshold           = var.min_running_tasks
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  # Container Insights reports every minute while the service exists; silence
  # means nothing is reporting, which is an outage too.
  treat_missing_data = "breaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "rds_cpu" {
  count = local.database_enabled ? 1 : 0

  alarm_name        = "${var.name}-rds-cpu-high"
  alarm_description = "Average CPU of the database ${var.database_instance_identifier} has been above ${var.database_cpu_threshold_percent} % for 10 minutes (on a burstable class, check CPUCreditBalance too)."

  namespace   = "AWS/RDS"
  metric_name = "CPUUtilization"
  dimensions  = { DBInstanceIdentifier = var.database_instance_identifier }
  statistic   = "Average"
  period      = 60

  comparison_operator = "GreaterThanThreshold"
  threshold           = var.database_cpu_threshold_percent
  evaluation_periods  = 10
  datapoints_to_alarm = 10
  treat_missing_data  = "missing"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "rds_free_storage" {
  count = local.database_enabled ? 1 : 0

  alarm_name        = "${var.name}-rds-free-storage-low"
  alarm_description = "The database ${var.database_instance_identifier} has less than ${floor(var.database_free_storage_threshold_bytes / 1048576)} MiB of free storage: storage autoscaling is at max_allocated_storage or cannot keep up."

  namespace   = "AWS/RDS"
  metric_name = "FreeStorageSpace"
  dimensions  = { DBInstanceIdentifier = var.database_instance_identifier }
  statistic   = "Minimum"
  period      = 300

  comparison_operator = "LessThanThreshold"
  threshold           = var.database_free_storage_threshold_bytes
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  treat_missing_data  = "missing"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "rds_connections" {
  count = local.database_enabled ? 1 : 0

  alarm_name        = "${var.name}-rds-connections-high"
  alarm_description = "The database ${var.database_instance_identifier} has held more than ${var.database_connections_threshold} connections for 5 minutes: more tasks times APP_DB_POOL_MAX than the instance allows, or connections are leaking."

  namespace   = "AWS/RDS"
  metric_name = "DatabaseConnections"
  dimensions  = { DBInstanceIdentifier = var.database_instance_identifier }
  statistic   = "Maximum"
  period      = 60

  comparison_operator = "GreaterThanThreshold"
  threshold           = var.database_connections_threshold
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "missing"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
}

locals {
  alarm_names = merge(
    {
      ecs_cpu           = aws_cloudwatch_metric_alarm.ecs_cpu.alarm_name
      ecs_memory        = aws_cloudwatch_metric_alarm.ecs_memory.alarm_name
      ecs_running_tasks = aws_cloudwatch_metric_alarm.ecs_running_tasks.alarm_name
      alb_5xx_rate      = aws_cloudwatch_metric_alarm.alb_5xx_rate.alarm_name
    },
    { for key, alarm in aws_cloudwatch_metric_alarm.alb_p99_latency : (key == "primary" ? "alb_p99_latency" : "alb_p99_latency_${key}") => alarm.alarm_name },
    { for key, alarm in aws_cloudwatch_metric_alarm.alb_unhealthy_hosts : (key == "primary" ? "alb_unhealthy_hosts" : "alb_unhealthy_hosts_${key}") => alarm.alarm_name },
    local.database_enabled ? {
      rds_cpu          = aws_cloudwatch_metric_alarm.rds_cpu[0].alarm_name
      rds_free_storage = aws_cloudwatch_metric_alarm.rds_free_storage[0].alarm_name
      rds_connections  = aws_cloudwatch_metric_alarm.rds_connections[0].alarm_name
    } : {},
  )

  # Built from the names, which are known at plan time, so the dashboard can be
  # planned (and tested) without the alarms' computed ARNs.
  alarm_arns = { for key, name in local.alarm_names : key => "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${name}" }

  # The alarms a bad deployment trips: errors, latency and failing health
  # checks of the new tasks. CPU, memory and database alarms are left out: a
  # healthy deployment under heavy load must not be rolled back.
  deployment_alarm_names = concat(
    [aws_cloudwatch_metric_alarm.alb_5xx_rate.alarm_name],
    [for alarm in values(aws_cloudwatch_metric_alarm.alb_p99_latency) : alarm.alarm_name],
    [for alarm in values(aws_cloudwatch_metric_alarm.alb_unhealthy_hosts) : alarm.alarm_name],
  )
}
