locals {
  alb_namespace = "AWS/ApplicationELB"

  # Every target group panel shows the primary target group and, with
  # blue/green, the green one beside it. concat() with the expansion joins the
  # per-target-group lists of metric rows without flattening the rows.
  target_group_metrics = {
    for key, suffix in local.target_groups : key => {
      label  = key == "primary" ? "" : " (green)"
      suffix = suffix
    }
  }

  # Widgets on a 24-column grid, three per row.
  service_widgets = [
    {
      type   = "metric"
      x      = 0
      y      = 0
      width  = 8
      height = 6
      properties = {
        title   = "Requests"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        stat    = "Sum"
        metrics = [
          [local.alb_namespace, "RequestCount", "LoadBalancer", var.alb_arn_suffix, { label = "Requests per minute" }],
        ]
      }
    },
    {
      type   = "metric"
      x      = 8
      y      = 0
      width  = 8
      height = 6
      properties = {
        title   = "5xx responses"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        metrics = [
          [{ id = "error_rate", expression = "IF(requests > 0, 100 * (FILL(target_5xx, 0) + FILL(elb_5xx, 0)) / requests, 0)", label = "5xx rate (%)", yAxis = "right" }],
          [local.alb_namespace, "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { id = "target_5xx", stat = "Sum", label = "5xx from tasks" }],
          [local.alb_namespace, "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { id = "elb_5xx", stat = "Sum", label = "5xx from the load balancer" }],
          [local.alb_namespace, "RequestCount", "LoadBalancer", var.alb_arn_suffix, { id = "requests", stat = "Sum", visible = false }],
        ]
        annotations = {
          horizontal = [{ label = "Alarm", value = var.error_rate_threshold_percent, yAxis = "right" }]
        }
      }
    },
    {
      type   = "metric"
      x      = 16
      y      = 0
      width  = 8
      height = 6
      properties = {
        title   = "Target response time"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        metrics = concat([
          for key, tg in local.target_group_metrics : [
            [local.alb_namespace, "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", tg.suffix, { stat = "p50", label = "p50${tg.label}" }],
            [local.alb_namespace, "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", tg.suffix, { stat = "p99", label = "p99${tg.label}" }],
          ]
        ]...)
        annotations = {
          horizontal = [{ label = "p99 alarm", value = var.p99_latency_threshold_seconds }]
        }
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 6
      width  = 8
      height = 6
      properties = {
        title   = "Targets"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        metrics = concat([
          for key, tg in local.target_group_metrics : [
            [local.alb_namespace, "HealthyHostCount", "TargetGroup", tg.suffix, "LoadBalancer", var.alb_arn_suffix, { stat = "Minimum", label = "Healthy${tg.label}" }],
            [local.alb_namespace, "UnHealthyHostCount", "TargetGroup", tg.suffix, "LoadBalancer", var.alb_arn_suffix, { stat = "Maximum", label = "Unhealthy${tg.label}" }],
          ]
        ]...)
      }
    },
    {
      type   = "metric"
      x      = 8
      y      = 6
      width  = 8
      height = 6
      properties = {
        title   = "Task CPU and memory (%)"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        stat    = "Average"
        yAxis   = { left = { min = 0, max = 100 } }
        metrics = [
          ["AWS/ECS", "CPUUtilization", "ClusterName", var.cluster_name, "ServiceName", var.service_name, { label = "CPU" }],
          ["AWS/ECS", "MemoryUtilization", "ClusterName", var.cluster_name, "ServiceName", var.service_name, { label = "Memory" }],
        ]
        annotations = {
          horizontal = [
            { label = "CPU alarm", value = var.cpu_threshold_percent },
            { label = "Memory alarm", value = var.memory_threshold_percent },
          ]
        }
      }
    },
    {
      type   = "metric"
      x      = 16
      y      = 6
      width  = 8
      height = 6
      properties = {
        title   = "Tasks"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        metrics = [
          ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", var.cluster_name, "ServiceName", var.service_name, { stat = "Minimum", label = "Running" }],
          ["ECS/ContainerInsights", "DesiredTaskCount", "ClusterName", var.cluster_name, "ServiceName", var.service_name, { stat = "Maximum", label = "Desired" }],
          ["ECS/ContainerInsights", "PendingTaskCount", "ClusterName", var.cluster_name, "ServiceName", var.service_name, { stat = "Maximum", label = "Pending" }],
        ]
        annotations = {
          horizontal = [{ label = "Minimum", value = var.min_running_tasks }]
        }
      }
    },
  ]

  # The service's own metrics (docs/design.md section 4), as the collector sidecar sends them: the
  # gauges, whose names the awsemf exporter keeps as they are on /metrics.
  app_widget_definitions = [
    {
      type   = "metric"
      x      = 0
      y      = 12
      width  = 12
      height = 6
      properties = {
        title   = "Service: requests in flight"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        stat    = "Maximum"
        metrics = [
          [var.metrics_namespace, "http_server_requests_in_flight", "environment", var.metrics_environment, { label = "In flight (busiest task)" }],
        ]
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 12
      width  = 12
      height = 6
      properties = {
        title   = "Service: database pool"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        stat    = "Maximum"
        metrics = [
          [var.metrics_namespace, "db_pool_connections", "environment", var.metrics_environment, "state", "in_use", { label = "In use" }],
          [var.metrics_namespace, "db_pool_connections", "environment", var.metrics_environment, "state", "idle", { label = "Idle" }],
          [var.metrics_namespace, "db_pool_max_connections", "environment", var.metrics_environment, { label = "Pool size" }],
        ]
      }
    },
  ]
  app_enabled = var.metrics_environment != null
  app_widgets = [for widget in local.app_widget_definitions : widget if local.app_enabled]
  app_rows    = local.app_enabled ? 6 : 0

  database_widget_definitions = [
    {
      type   = "metric"
      x      = 0
      y      = 12 + local.app_rows
      width  = 8
      height = 6
      properties = {
        title   = "Database CPU (%)"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        stat    = "Average"
        yAxis   = { left = { min = 0, max = 100 } }
        metrics = [
          ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.database_instance_identifier, { label = "CPU" }],
        ]
        annotations = {
          horizontal = [{ label = "Alarm", value = var.database_cpu_threshold_percent }]
        }
      }
    },
    {
      type   = "metric"
      x      = 8
      y      = 12 + local.app_rows
      width  = 8
      height = 6
      properties = {
        title   = "Database free storage (bytes)"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 300
        stat    = "Minimum"
        metrics = [
          ["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", var.database_instance_identifier, { label = "Free storage" }],
        ]
        annotations = {
          horizontal = [{ label = "Alarm", value = var.database_free_storage_threshold_bytes }]
        }
      }
    },
    {
      type   = "metric"
      x      = 16
      y      = 12 + local.app_rows
      width  = 8
      height = 6
      properties = {
        title   = "Database connections"
        region  = local.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        stat    = "Maximum"
        metrics = [
          ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", var.database_instance_identifier, { label = "Connections" }],
        ]
        annotations = {
          horizontal = [{ label = "Alarm", value = var.database_connections_threshold }]
        }
      }
    },
  ]
  # Database panels only when there is a database to draw.
  database_widgets = [for widget in local.database_widget_definitions : widget if local.database_enabled]

  # The state of every alarm of the stack at a glance, below the graphs.
  alarm_widget = {
    type   = "alarm"
    x      = 0
    y      = (local.database_enabled ? 18 : 12) + local.app_rows
    width  = 24
    height = 4
    properties = {
      title  = "Alarms"
      alarms = sort(values(local.alarm_arns))
    }
  }

  dashboard_body = jsonencode({
    widgets = concat(local.service_widgets, local.app_widgets, local.database_widgets, [local.alarm_widget])
  })
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = local.dashboard_body

  # The alarm widget names the alarms by ARN; they exist before it does.
  depends_on = [
    aws_cloudwatch_metric_alarm.ecs_cpu,
    aws_cloudwatch_metric_alarm.ecs_memory,
    aws_cloudwatch_metric_alarm.ecs_running_tasks,
    aws_cloudwatch_metric_alarm.alb_5xx_rate,
    aws_cloudwatch_metric_alarm.alb_p99_latency,
    aws_cloudwatch_metric_alarm.alb_unhealthy_hosts,
    aws_cloudwatch_metric_alarm.rds_cpu,
    aws_cloudwatch_metric_alarm.rds_free_storage,
    aws_cloudwatch_metric_alarm.rds_connections,
  ]
}
