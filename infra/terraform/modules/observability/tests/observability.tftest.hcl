# Unit tests of the observability module against a mocked AWS provider.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:user/test"
      user_id    = "AIDAEXAMPLE"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:hello-service-test-alarms"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }
}

variables {
  name                    = "hello-service-test"
  cluster_name            = "hello-service-test"
  service_name            = "hello-service-test"
  alb_arn_suffix          = "app/hello-service-test/50dc6c495c0c9188"
  target_group_arn_suffix = "targetgroup/hello-service-test-blue/73e2d6bc24d8a067"
  alarm_emails            = ["oncall@example.com", "team@example.com"]
  min_running_tasks       = 2
}

run "topic_is_encrypted_with_a_key_cloudwatch_may_use" {
  command = plan

  assert {
    condition     = aws_sns_topic.alarms.name == "hello-service-test-alarms" && aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.alarms.arn
    error_message = "The alarm topic must be encrypted with the module's own key."
  }

  assert {
    condition     = aws_kms_key.alarms.enable_key_rotation
    error_message = "The topic key must rotate."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.alarms_key.statement :
      contains(flatten([for p in s.principals : tolist(p.identifiers)]), "cloudwatch.amazonaws.com") &&
      toset(s.actions) == toset(["kms:Decrypt", "kms:GenerateDataKey*"]) &&
      anytrue([for c in s.condition : c.variable == "kms:EncryptionContext:aws:sns:topicArn" && c.values == tolist(["arn:aws:sns:eu-west-1:123456789012:hello-service-test-alarms"])])
    ])
    error_message = "The key policy must let CloudWatch decrypt and generate data keys for this topic only."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.alarms_topic.statement :
      contains(flatten([for p in s.principals : tolist(p.identifiers)]), "cloudwatch.amazonaws.com") && contains(s.actions, "sns:Publish")
    ])
    error_message = "The topic policy must let CloudWatch alarms publish."
  }

  assert {
    condition     = toset([for sub in aws_sns_topic_subscription.email : sub.endpoint]) == toset(["oncall@example.com", "team@example.com"]) && alltrue([for sub in aws_sns_topic_subscription.email : sub.protocol == "email"])
    error_message = "Every alarm email must get an email subscription."
  }
}

run "no_emails_no_subscriptions" {
  command = plan

  variables {
    alarm_emails = []
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0
    error_message = "Without alarm_emails there must be no subscription."
  }
}

run "every_alarm_notifies_the_topic_on_alarm_and_ok" {
  command = plan

  variables {
    database_instance_identifier  = "hello-service-test"
    enable_blue_green             = true
    green_target_group_arn_suffix = "targetgroup/hello-service-test-green/1a2b3c4d5e6f7a8b"
  }

  assert {
    condition = alltrue([
      for alarm in concat(
        [
          aws_cloudwatch_metric_alarm.ecs_cpu,
          aws_cloudwatch_metric_alarm.ecs_memory,
          aws_cloudwatch_metric_alarm.ecs_running_tasks,
          aws_cloudwatch_metric_alarm.alb_5xx_rate,
        ],
        values(aws_cloudwatch_metric_alarm.alb_p99_latency),
        values(aws_cloudwatch_metric_alarm.alb_unhealthy_hosts),
        aws_cloudwatch_metric_alarm.rds_cpu,
        aws_cloudwatch_metric_alarm.rds_free_storage,
        aws_cloudwatch_metric_alarm.rds_connections,
      ) :
      alarm.alarm_actions == toset([aws_sns_topic.alarms.arn]) && alarm.ok_actions == toset([aws_sns_topic.alarms.arn])
    ])
    error_message = "Every alarm must send its ALARM and OK notifications to the topic."
  }

  assert {
    condition     = length(output.alarm_names) == 11
    error_message = "With a database and blue/green there must be 11 alarms."
  }
}

run "ecs_alarms" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.ecs_cpu.namespace == "AWS/ECS" &&
      aws_cloudwatch_metric_alarm.ecs_cpu.metric_name == "CPUUtilization" &&
      aws_cloudwatch_metric_alarm.ecs_cpu.threshold == 80 &&
      aws_cloudwatch_metric_alarm.ecs_cpu.dimensions == tomap({ ClusterName = "hello-service-test", ServiceName = "hello-service-test" })
    )
    error_message = "The CPU alarm must watch AWS/ECS CPUUtilization of the service at 80 %."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.ecs_memory.metric_name == "MemoryUtilization" && aws_cloudwatch_metric_alarm.ecs_memory.threshold == 80
    error_message = "The memory alarm must watch MemoryUtilization at 80 %."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.ecs_running_tasks.namespace == "ECS/ContainerInsights" &&
      aws_cloudwatch_metric_alarm.ecs_running_tasks.metric_name == "RunningTaskCount" &&
      aws_cloudwatch_metric_alarm.ecs_running_tasks.comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.ecs_running_tasks.threshold == 2
    )
    error_message = "The running-task alarm must fire below min_running_tasks (Container Insights)."
  }
}

run "alb_alarms" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_5xx_rate.treat_missing_data == "notBreaching" && aws_cloudwatch_metric_alarm.alb_5xx_rate.threshold == 5
    error_message = "The 5xx alarm must fire above 5 % and treat missing data as not breaching."
  }

  assert {
    condition = toset([
      for q in aws_cloudwatch_metric_alarm.alb_5xx_rate.metric_query : q.metric[0].metric_name if length(q.metric) > 0
    ]) == toset(["RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"])
    error_message = "The 5xx rate must be computed from RequestCount and both 5xx counts."
  }

  assert {
    condition = alltrue([
      for q in aws_cloudwatch_metric_alarm.alb_5xx_rate.metric_query :
      q.metric[0].dimensions == tomap({ LoadBalancer = "app/hello-service-test/50dc6c495c0c9188" }) && q.metric[0].stat == "Sum" if length(q.metric) > 0
    ])
    error_message = "The 5xx metrics must be sums over the load balancer."
  }

  assert {
    condition = [
      for q in aws_cloudwatch_metric_alarm.alb_5xx_rate.metric_query : q.expression if q.return_data == true
    ] == ["IF(requests > 0, 100 * (FILL(target_5xx, 0) + FILL(elb_5xx, 0)) / requests, 0)"]
    error_message = "The returned series must be the guarded 5xx percentage."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.alb_p99_latency["primary"].extended_statistic == "p99" &&
      aws_cloudwatch_metric_alarm.alb_p99_latency["primary"].metric_name == "TargetResponseTime" &&
      aws_cloudwatch_metric_alarm.alb_p99_latency["primary"].threshold == 1 &&
      aws_cloudwatch_metric_alarm.alb_p99_latency["primary"].dimensions == tomap({
        LoadBalancer = "app/hello-service-test/50dc6c495c0c9188"
        TargetGroup  = "targetgroup/hello-service-test-blue/73e2d6bc24d8a067"
      })
    )
    error_message = "The latency alarm must watch the p99 TargetResponseTime of the target group."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.alb_unhealthy_hosts["primary"].metric_name == "UnHealthyHostCount" &&
      aws_cloudwatch_metric_alarm.alb_unhealthy_hosts["primary"].comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.alb_unhealthy_hosts["primary"].threshold == 0 &&
      aws_cloudwatch_metric_alarm.alb_unhealthy_hosts["primary"].dimensions == tomap({
        LoadBalancer = "app/hello-service-test/50dc6c495c0c9188"
        TargetGroup  = "targetgroup/hello-service-test-blue/73e2d6bc24d8a067"
      })
    )
    error_message = "The unhealthy-host alarm must fire on any unhealthy target of the target group."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.alb_p99_latency) == 1 && length(aws_cloudwatch_metric_alarm.alb_unhealthy_hosts) == 1
    error_message = "Without a green target group there is one latency and one unhealthy-host alarm."
  }
}

run "deployment_alarms" {
  command = plan

  assert {
    condition = output.deployment_alarm_names == [
      "hello-service-test-alb-5xx-rate",
      "hello-service-test-alb-p99-latency",
      "hello-service-test-alb-unhealthy-hosts",
    ]
    error_message = "The deployment alarms must be the 5xx rate, p99 latency and unhealthy-host alarms."
  }
}

run "blue_green_watches_both_target_groups" {
  command = plan

  variables {
    enable_blue_green             = true
    green_target_group_arn_suffix = "targetgroup/hello-service-test-green/1a2b3c4d5e6f7a8b"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_p99_latency["green"].dimensions["TargetGroup"] == "targetgroup/hello-service-test-green/1a2b3c4d5e6f7a8b"
    error_message = "The green target group must get its own latency alarm."
  }

  assert {
    condition = toset(output.deployment_alarm_names) == toset([
      "hello-service-test-alb-5xx-rate",
      "hello-service-test-alb-p99-latency",
      "hello-service-test-alb-p99-latency-green",
      "hello-service-test-alb-unhealthy-hosts",
      "hello-service-test-alb-unhealthy-hosts-green",
    ])
    error_message = "With blue/green both target groups' alarms must roll a deployment back."
  }

  assert {
    condition = length(flatten([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [
        for m in w.properties.metrics : m if try(m[1], "") == "TargetResponseTime"
      ] if w.type == "metric"
    ])) == 4 * 7
    error_message = "With blue/green the latency panel must draw p50 and p99 of both target groups (4 rows of 7 elements)."
  }
}

run "no_database_no_database_alarms" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.rds_cpu) + length(aws_cloudwatch_metric_alarm.rds_free_storage) + length(aws_cloudwatch_metric_alarm.rds_connections) == 0
    error_message = "Without a database there must be no database alarm."
  }

  assert {
    condition     = !strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "AWS/RDS")
    error_message = "Without a database the dashboard must have no database panel."
  }

  assert {
    condition     = length(output.alarm_names) == 6
    error_message = "Without a database there must be six alarms."
  }
}

run "database_alarms_when_configured" {
  command = plan

  variables {
    database_instance_identifier = "hello-service-test"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.rds_cpu[0].metric_name == "CPUUtilization" &&
      aws_cloudwatch_metric_alarm.rds_free_storage[0].metric_name == "FreeStorageSpace" &&
      aws_cloudwatch_metric_alarm.rds_free_storage[0].comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.rds_connections[0].metric_name == "DatabaseConnections"
    )
    error_message = "With a database there must be CPU, free storage and connection alarms."
  }

  assert {
    condition = alltrue([
      for alarm in [aws_cloudwatch_metric_alarm.rds_cpu[0], aws_cloudwatch_metric_alarm.rds_free_storage[0], aws_cloudwatch_metric_alarm.rds_connections[0]] :
      alarm.namespace == "AWS/RDS" && alarm.dimensions == tomap({ DBInstanceIdentifier = "hello-service-test" })
    ])
    error_message = "The database alarms must watch the given instance."
  }

  assert {
    condition     = length([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if startswith(w.properties.title, "Database")]) == 3
    error_message = "With a database the dashboard must have three database panels."
  }

  assert {
    condition     = !contains(output.deployment_alarm_names, "hello-service-test-rds-cpu-high")
    error_message = "Database alarms must not roll deployments back."
  }
}

run "dashboard" {
  command = plan

  assert {
    condition     = output.dashboard_name == "hello-service-test"
    error_message = "The dashboard must be named after the stack."
  }

  assert {
    condition = alltrue([
      for metric in ["RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "TargetResponseTime", "HealthyHostCount", "UnHealthyHostCount", "CPUUtilization", "MemoryUtilization", "RunningTaskCount"] :
      strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "\"${metric}\"")
    ])
    error_message = "The dashboard must show requests, 5xx, latency, hosts, CPU, memory and running tasks."
  }

  assert {
    condition = toset(flatten([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [
        for m in w.properties.metrics : m[length(m) - 1].stat if try(m[1], "") == "TargetResponseTime"
      ] if w.type == "metric"
    ])) == toset(["p50", "p99"])
    error_message = "The latency panel must show p50 and p99."
  }

  assert {
    condition = alltrue(flatten([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [
        for m in w.properties.metrics : can(m[0])
      ] if w.type == "metric"
    ]))
    error_message = "Every metric of a panel must be a row (a list), not flattened into its neighbours."
  }

  assert {
    condition = toset(one([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.alarms if w.type == "alarm"])) == toset([
      for name in values(output.alarm_names) : "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}"
    ])
    error_message = "The alarm panel must list every alarm."
  }
}

run "rejects_invalid_emails" {
  command = plan

  variables {
    alarm_emails = ["not-an-email"]
  }

  expect_failures = [var.alarm_emails]
}

run "rejects_zero_min_running_tasks" {
  command = plan

  variables {
    min_running_tasks = 0
  }

  expect_failures = [var.min_running_tasks]
}

run "rejects_bad_arn_suffixes_and_thresholds" {
  command = plan

  variables {
    alb_arn_suffix                = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1"
    target_group_arn_suffix       = "hello-service-test-blue"
    error_rate_threshold_percent  = 0
    cpu_threshold_percent         = 150
    p99_latency_threshold_seconds = -1
    database_instance_identifier  = "Bad_Identifier"
  }

  expect_failures = [
    var.alb_arn_suffix,
    var.target_group_arn_suffix,
    var.error_rate_threshold_percent,
    var.cpu_threshold_percent,
    var.p99_latency_threshold_seconds,
    var.database_instance_identifier,
  ]
}

run "blue_green_without_the_green_target_group_is_refused" {
  command = plan

  variables {
    enable_blue_green = true
  }

  expect_failures = [var.green_target_group_arn_suffix]
}

run "the_services_own_metrics_on_the_dashboard" {
  command = plan

  variables {
    metrics_namespace   = "hello-service"
    metrics_environment = "dev"
  }

  assert {
    condition = toset(flatten([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [
        for m in w.properties.metrics : m[1] if try(m[0] == "hello-service" && m[2] == "environment" && m[3] == "dev", false)
      ] if w.type == "metric"
    ])) == toset(["http_server_requests_in_flight", "db_pool_connections", "db_pool_max_connections"])
    error_message = "The dashboard draws the service's gauges by their docs/design.md names, in the collector's namespace and the environment's dimension."
  }

  assert {
    condition     = one([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.y if w.type == "alarm"]) == 18
    error_message = "The service's panels take a row above the alarms."
  }
}
