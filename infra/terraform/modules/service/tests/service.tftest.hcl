# Unit tests of the service module: plans against a mocked AWS provider. The
# data sources get realistic values, so that everything derived from the
# region and the account (ARNs, policies, the container definitions) is known
# at plan time and can be asserted on.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:user/test"
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
}

variables {
  name                        = "hello-service-test"
  vpc_id                      = "vpc-0123456789abcdef0"
  vpc_cidr_block              = "10.0.0.0/16"
  private_subnet_ids          = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  alb_security_group_id       = "sg-0a1b2c3d4e5f60718"
  target_group_arn            = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/hello-service-test-blue/0123456789abcdef"
  ecr_repository_arn          = "arn:aws:ecr:eu-west-1:123456789012:repository/hello-service"
  image                       = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service:1.2.3"
  alb_arn_suffix              = "app/hello-service-test/0123456789abcdef"
  target_group_arn_suffix     = "targetgroup/hello-service-test-blue/0123456789abcdef"
  database_url                = "postgres://db.example.internal:5432/hello?sslmode=verify-full"
  database_secret_arn         = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123-AbCdEf"
  database_secret_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  admin_token_secret_arn      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hello-service/test-admin-XyZ123:admin_token::"
  deployment_environment      = "test"
  deployment_alarm_names      = ["hello-service-test-5xx-rate", "hello-service-test-p99-latency"]
}

run "app_container_is_locked_down" {
  command = plan

  variables {
    cpu_architecture = "ARM64"
  }

  assert {
    condition     = aws_ecs_task_definition.this.family == "hello-service-test" && aws_ecs_task_definition.this.network_mode == "awsvpc" && aws_ecs_task_definition.this.requires_compatibilities == toset(["FARGATE"])
    error_message = "The task definition must be a Fargate awsvpc family named after the module."
  }

  assert {
    condition     = aws_ecs_task_definition.this.runtime_platform[0].cpu_architecture == "ARM64" && aws_ecs_task_definition.this.runtime_platform[0].operating_system_family == "LINUX"
    error_message = "The runtime platform must be Linux on the requested architecture."
  }

  assert {
    condition     = aws_ecs_task_definition.this.cpu == "256" && aws_ecs_task_definition.this.memory == "512"
    error_message = "The default task size must be 256 CPU units and 512 MiB."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).readonlyRootFilesystem == true && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).user == "65532:65532" && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).privileged == false && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).essential == true
    error_message = "The app container must be essential, run as 65532:65532, unprivileged, on a read-only root filesystem."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).linuxParameters.capabilities.drop == ["ALL"] && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).linuxParameters.initProcessEnabled == false
    error_message = "The app container must drop every capability and run without an init process (the binary is PID 1)."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).stopTimeout == 30
    error_message = "stopTimeout must be the 25 s shutdown timeout plus 5 s."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).healthCheck.command == ["CMD", "/usr/local/bin/hello-service", "healthcheck"]
    error_message = "The health check must run the binary's healthcheck subcommand (the image has no shell)."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).healthCheck.interval == 10 && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).healthCheck.timeout == 5 && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).healthCheck.retries == 3 && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).healthCheck.startPeriod == 10
    error_message = "The health check timing must default to 10 s / 5 s / 3 retries / 10 s start period."
  }

  assert {
    condition     = toset([for p in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).portMappings : "${p.containerPort}/${p.protocol}"]) == toset(["8080/tcp", "9090/tcp"])
    error_message = "The app container must map exactly 8080/tcp and 9090/tcp."
  }

  assert {
    condition     = one([for u in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).ulimits : u.softLimit if u.name == "nofile"]) == 65536
    error_message = "The nofile ulimit must be set."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).logConfiguration.logDriver == "awslogs" && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).logConfiguration.options["awslogs-group"] == "/aws/ecs/hello-service-test" && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).logConfiguration.options.mode == "non-blocking" && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).logConfiguration.options["max-buffer-size"] == "25m"
    error_message = "The app must log through awslogs, non-blocking with a bounded buffer, to the module's log group."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).dependsOn == [{ containerName = "otel-collector", condition = "START" }]
    error_message = "The app must start after the collector has started (START, not HEALTHY)."
  }
}

run "app_environment_is_complete" {
  command = plan

  variables {
    extra_environment = { APP_DB_POOL_MAX = "8", OTEL_TRACES_SAMPLER = "always_on" }
  }

  assert {
    condition = (
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.APP_LISTEN_ADDR == "0.0.0.0:8080" &&
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.APP_ADMIN_LISTEN_ADDR == "0.0.0.0:9090" &&
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.APP_LOG_FORMAT == "json" &&
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.RUST_LOG == "info" &&
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.APP_SHUTDOWN_TIMEOUT == "25s" &&
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.AWS_REGION == "eu-west-1"
    )
    error_message = "The listeners, log format, log level, shutdown timeout and region must be set."
  }

  assert {
    condition = (
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.OTEL_EXPORTER_OTLP_ENDPOINT == "http://127.0.0.1:4317" &&
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.OTEL_EXPORTER_OTLP_PROTOCOL == "grpc" &&
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.OTEL_SERVICE_NAME == "hello-service" &&
      { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.OTEL_TRACES_SAMPLER_ARG == "0.1" &&
      strcontains({ for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.OTEL_RESOURCE_ATTRIBUTES, "deployment.environment.name=test")
    )
    error_message = "The OpenTelemetry variables must point at the sidecar over gRPC and carry the environment."
  }

  assert {
    condition     = { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.OTEL_TRACES_SAMPLER == "always_on" && { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.APP_DB_POOL_MAX == "8"
    error_message = "extra_environment must be merged in, and may override the module's defaults."
  }

  assert {
    condition     = { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.DATABASE_URL == "postgres://db.example.internal:5432/hello?sslmode=verify-full" && { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.APP_SECRET_ID == var.database_secret_arn
    error_message = "DATABASE_URL and APP_SECRET_ID must be set from the database inputs."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).secrets == [{ name = "APP_ADMIN_TOKEN", valueFrom = var.admin_token_secret_arn }]
    error_message = "APP_ADMIN_TOKEN must be injected by ECS from the admin token secret, and be the only secret."
  }

  assert {
    condition     = length([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name if e.name == "APP_ADMIN_TOKEN"]) == 0
    error_message = "The admin token must never be a plain environment variable."
  }
}

run "collector_sidecar" {
  command = plan

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).essential == false && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).readonlyRootFilesystem == true && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).memoryReservation == 64 && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).memory == 192
    error_message = "The collector must be non-essential, read-only, with a memory reservation and a hard limit."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).image == "public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0"
    error_message = "The collector must default to the ADOT image."
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).logConfiguration.options["awslogs-group"] == "/aws/ecs/hello-service-test"
    error_message = "The collector must log to the module's log group (its own stream)."
  }

  assert {
    condition     = yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).receivers.otlp.protocols.grpc.endpoint == "127.0.0.1:4317"
    error_message = "The collector must receive OTLP gRPC on loopback port 4317."
  }

  assert {
    condition = (
      yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).receivers.prometheus.config.scrape_configs[0].static_configs[0].targets == ["127.0.0.1:9090"] &&
      yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).receivers.prometheus.config.scrape_configs[0].metrics_path == "/metrics" &&
      yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).receivers.prometheus.config.scrape_configs[0].scrape_interval == "30s"
    )
    error_message = "The collector must scrape 127.0.0.1:9090/metrics every 30 s."
  }

  assert {
    condition     = yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).exporters.awsemf.log_group_name == "/aws/ecs/hello-service-test/metrics" && yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).exporters.awsemf.namespace == "hello-service"
    error_message = "Metrics must go to CloudWatch through EMF, into the metrics log group."
  }

  assert {
    condition = (
      yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).service.pipelines.traces.exporters == ["awsxray"] &&
      yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).service.pipelines.metrics.exporters == ["awsemf"] &&
      yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).service.pipelines.traces.processors[0] == "memory_limiter" &&
      contains(yamldecode(one([for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "otel-collector"]).environment : e.value if e.name == "AOT_CONFIG_CONTENT"])).service.pipelines.metrics.processors, "batch/metrics")
    )
    error_message = "Traces must go to X-Ray and metrics to EMF, each through memory_limiter first and a batch processor."
  }

  assert {
    condition     = aws_cloudwatch_log_group.metrics.name == "/aws/ecs/hello-service-test/metrics" && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "Both log groups must exist with the configured retention."
  }
}

run "security_group_admits_only_the_app_port_from_the_alb" {
  command = plan

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.app_from_alb.from_port == 8080 &&
      aws_vpc_security_group_ingress_rule.app_from_alb.to_port == 8080 &&
      aws_vpc_security_group_ingress_rule.app_from_alb.ip_protocol == "tcp" &&
      aws_vpc_security_group_ingress_rule.app_from_alb.referenced_security_group_id == "sg-0a1b2c3d4e5f60718" &&
      aws_vpc_security_group_ingress_rule.app_from_alb.cidr_ipv4 == null
    )
    error_message = "The only ingress rule must admit TCP 8080 from the ALB security group, and no CIDR."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.https.from_port == 443 && aws_vpc_security_group_egress_rule.https.to_port == 443 && aws_vpc_security_group_egress_rule.https.cidr_ipv4 == "0.0.0.0/0"
    error_message = "Egress must allow HTTPS to AWS APIs."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.postgres.from_port == 5432 && aws_vpc_security_group_egress_rule.postgres.cidr_ipv4 == "10.0.0.0/16"
    error_message = "Egress to PostgreSQL must stay inside the VPC."
  }
}

run "rolling_service_with_circuit_breaker_and_alarms" {
  command = plan

  assert {
    condition     = length(aws_ecs_service.this) == 1 && length(aws_ecs_service.blue_green) == 0
    error_message = "Without blue/green exactly the ECS-controlled service must exist."
  }

  assert {
    condition     = aws_ecs_service.this[0].name == "hello-service-test" && aws_ecs_cluster.this.name == "hello-service-test"
    error_message = "The cluster and the service must both be named after the module."
  }

  assert {
    condition     = length(aws_ecs_service.this[0].capacity_provider_strategy) > 0 && aws_ecs_service.this[0].deployment_controller[0].type == "ECS"
    error_message = "The service must be placed through capacity providers, not a launch type."
  }

  assert {
    condition     = aws_ecs_service.this[0].deployment_circuit_breaker[0].enable && aws_ecs_service.this[0].deployment_circuit_breaker[0].rollback
    error_message = "The deployment circuit breaker must be on with rollback."
  }

  assert {
    condition     = aws_ecs_service.this[0].alarms[0].alarm_names == toset(var.deployment_alarm_names) && aws_ecs_service.this[0].alarms[0].rollback
    error_message = "The deployment alarms must roll a deployment back."
  }

  assert {
    condition     = aws_ecs_service.this[0].network_configuration[0].assign_public_ip == false && aws_ecs_service.this[0].network_configuration[0].subnets == toset(var.private_subnet_ids)
    error_message = "Tasks must run in the private subnets without a public IP."
  }

  assert {
    condition     = [for lb in aws_ecs_service.this[0].load_balancer : "${lb.container_name}:${lb.container_port}:${lb.target_group_arn}"] == ["app:8080:${var.target_group_arn}"]
    error_message = "The load balancer must target the app container's port 8080."
  }

  assert {
    condition     = aws_ecs_service.this[0].deployment_minimum_healthy_percent == 100 && aws_ecs_service.this[0].deployment_maximum_percent == 200
    error_message = "Deployments must keep 100% healthy and may double the tasks."
  }

  assert {
    condition     = aws_ecs_service.this[0].enable_execute_command == false && aws_ecs_service.this[0].propagate_tags == "SERVICE" && aws_ecs_service.this[0].enable_ecs_managed_tags
    error_message = "Execute command must be off; tags must propagate from the service."
  }

  assert {
    condition     = [for s in aws_ecs_service.this[0].capacity_provider_strategy : s.capacity_provider] == ["FARGATE"]
    error_message = "With a spot weight of 0 only FARGATE must be in the strategy."
  }

  assert {
    condition     = aws_ecs_cluster.this.setting == toset([{ name = "containerInsights", value = "enabled" }])
    error_message = "Container Insights must be enabled."
  }

  assert {
    condition     = length(aws_codedeploy_app.this) == 0 && length(aws_codedeploy_deployment_group.this) == 0 && output.codedeploy_app_name == null && output.codedeploy_deployment_group_name == null
    error_message = "Without blue/green there must be no CodeDeploy resources, and the outputs must be null."
  }
}

run "no_alarm_block_without_alarms" {
  command = plan

  variables {
    deployment_alarm_names = []
  }

  assert {
    condition     = length(aws_ecs_service.this[0].alarms) == 0
    error_message = "Without alarm names the service must have no alarms block."
  }
}

run "spot_share" {
  command = plan

  variables {
    fargate_base        = 2
    fargate_weight      = 1
    fargate_spot_weight = 3
  }

  assert {
    condition     = toset([for s in aws_ecs_service.this[0].capacity_provider_strategy : "${s.capacity_provider}:${s.base}:${s.weight}"]) == toset(["FARGATE:2:1", "FARGATE_SPOT:0:3"])
    error_message = "The service strategy must put the base on FARGATE and split the rest 1:3."
  }

  assert {
    condition     = toset([for s in aws_ecs_cluster_capacity_providers.this.default_capacity_provider_strategy : "${s.capacity_provider}:${s.base}:${s.weight}"]) == toset(["FARGATE:2:1", "FARGATE_SPOT:0:3"])
    error_message = "The cluster's default strategy must match the service's."
  }

  assert {
    condition     = aws_ecs_cluster_capacity_providers.this.capacity_providers == toset(["FARGATE", "FARGATE_SPOT"])
    error_message = "Both Fargate capacity providers must be associated with the cluster."
  }
}

run "spot_only" {
  command = plan

  variables {
    fargate_base        = 0
    fargate_weight      = 0
    fargate_spot_weight = 1
    cpu_architecture    = "ARM64"
  }

  assert {
    condition     = [for s in aws_ecs_service.this[0].capacity_provider_strategy : s.capacity_provider] == ["FARGATE_SPOT"]
    error_message = "With only a spot weight the strategy must hold only FARGATE_SPOT (ARM64 included: Fargate Spot supports Graviton)."
  }
}

run "autoscaling_on" {
  command = plan

  assert {
    condition     = length(aws_appautoscaling_target.this) == 1 && aws_appautoscaling_target.this[0].min_capacity == 2 && aws_appautoscaling_target.this[0].max_capacity == 10
    error_message = "The scalable target must exist with the capacity bounds."
  }

  assert {
    condition     = aws_appautoscaling_target.this[0].resource_id == "service/hello-service-test/hello-service-test"
    error_message = "The scalable target must be the module's service in the module's cluster."
  }

  assert {
    condition = (
      aws_appautoscaling_policy.cpu[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization" &&
      aws_appautoscaling_policy.cpu[0].target_tracking_scaling_policy_configuration[0].target_value == 70
    )
    error_message = "CPU target tracking must aim at 70%."
  }

  assert {
    condition = (
      aws_appautoscaling_policy.requests[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ALBRequestCountPerTarget" &&
      aws_appautoscaling_policy.requests[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].resource_label == "app/hello-service-test/0123456789abcdef/targetgroup/hello-service-test-blue/0123456789abcdef" &&
      aws_appautoscaling_policy.requests[0].target_tracking_scaling_policy_configuration[0].target_value == 1000
    )
    error_message = "Request-count target tracking must use the ALB and target group suffixes."
  }

  assert {
    condition = alltrue([
      for p in [aws_appautoscaling_policy.cpu[0], aws_appautoscaling_policy.requests[0]] :
      p.target_tracking_scaling_policy_configuration[0].scale_in_cooldown > p.target_tracking_scaling_policy_configuration[0].scale_out_cooldown
    ])
    error_message = "Scale-in cooldowns must be longer than scale-out cooldowns."
  }
}

run "autoscaling_off" {
  command = plan

  variables {
    enable_autoscaling = false
    desired_count      = 1
  }

  assert {
    condition     = length(aws_appautoscaling_target.this) == 0 && length(aws_appautoscaling_policy.cpu) == 0 && length(aws_appautoscaling_policy.requests) == 0
    error_message = "With autoscaling off there must be no scalable target and no policy."
  }

  assert {
    condition     = aws_ecs_service.this[0].desired_count == 1
    error_message = "The service must start with desired_count tasks."
  }
}

run "blue_green" {
  command = plan

  variables {
    enable_blue_green       = true
    https_listener_arn      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/hello-service-test/0123456789abcdef/1111111111111111"
    test_listener_arn       = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/hello-service-test/0123456789abcdef/2222222222222222"
    target_group_name       = "hello-service-test-blue"
    green_target_group_name = "hello-service-test-green"
  }

  assert {
    condition     = length(aws_ecs_service.this) == 0 && length(aws_ecs_service.blue_green) == 1
    error_message = "With blue/green exactly the CodeDeploy-controlled service must exist."
  }

  assert {
    condition     = aws_ecs_service.blue_green[0].deployment_controller[0].type == "CODE_DEPLOY" && aws_ecs_service.blue_green[0].name == "hello-service-test"
    error_message = "The service must use the CODE_DEPLOY controller and keep the module's name."
  }

  assert {
    condition     = length(aws_ecs_service.blue_green[0].deployment_circuit_breaker) == 0 && length(aws_ecs_service.blue_green[0].alarms) == 0
    error_message = "A CODE_DEPLOY service must have neither a circuit breaker nor deployment alarms."
  }

  assert {
    condition     = aws_codedeploy_app.this[0].compute_platform == "ECS" && aws_codedeploy_deployment_group.this[0].deployment_style[0].deployment_type == "BLUE_GREEN" && aws_codedeploy_deployment_group.this[0].deployment_style[0].deployment_option == "WITH_TRAFFIC_CONTROL"
    error_message = "The CodeDeploy group must do ECS blue/green with traffic control."
  }

  assert {
    condition     = aws_codedeploy_deployment_group.this[0].auto_rollback_configuration[0].enabled && aws_codedeploy_deployment_group.this[0].auto_rollback_configuration[0].events == toset(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"])
    error_message = "CodeDeploy must roll back on failure and on alarms."
  }

  assert {
    condition     = aws_codedeploy_deployment_group.this[0].alarm_configuration[0].enabled && aws_codedeploy_deployment_group.this[0].alarm_configuration[0].alarms == toset(var.deployment_alarm_names)
    error_message = "CodeDeploy must watch the deployment alarms."
  }

  assert {
    condition = (
      [for tg in aws_codedeploy_deployment_group.this[0].load_balancer_info[0].target_group_pair_info[0].target_group : tg.name] == ["hello-service-test-blue", "hello-service-test-green"] &&
      aws_codedeploy_deployment_group.this[0].load_balancer_info[0].target_group_pair_info[0].prod_traffic_route[0].listener_arns == toset([var.https_listener_arn]) &&
      aws_codedeploy_deployment_group.this[0].load_balancer_info[0].target_group_pair_info[0].test_traffic_route[0].listener_arns == toset([var.test_listener_arn])
    )
    error_message = "CodeDeploy must shift between the blue and green target groups on the production listener, testing on the test listener."
  }

  assert {
    condition     = aws_codedeploy_deployment_group.this[0].blue_green_deployment_config[0].terminate_blue_instances_on_deployment_success[0].termination_wait_time_in_minutes == 5
    error_message = "The old tasks must be kept for the termination wait."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.codedeploy[0].policy_arn == "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
    error_message = "The CodeDeploy role must carry the AWS managed ECS policy."
  }

  assert {
    condition     = length(aws_appautoscaling_policy.cpu) == 1 && length(aws_appautoscaling_policy.requests) == 0
    error_message = "With blue/green only the CPU policy scales (the request count would follow one of two target groups)."
  }

  assert {
    condition     = output.codedeploy_deployment_group_name == "hello-service-test" && output.service_name == "hello-service-test"
    error_message = "The CodeDeploy outputs must be set with blue/green."
  }
}

run "task_role_reads_only_its_secret" {
  command = plan

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s.Resource if contains(flatten([s.Action]), "secretsmanager:GetSecretValue")])) == toset([var.database_secret_arn])
    error_message = "The task role may read the database secret and no other."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : alltrue([for a in flatten([s.Action]) : !startswith(a, "secretsmanager:") || a == "secretsmanager:GetSecretValue"])])
    error_message = "The task role must have no Secrets Manager action but GetSecretValue."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s if contains(flatten([s.Action]), "kms:Decrypt")
      ]).Resource == var.database_secret_kms_key_arn && one([
      for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s if contains(flatten([s.Action]), "kms:Decrypt")
    ]).Condition.StringEquals["kms:ViaService"] == "secretsmanager.eu-west-1.amazonaws.com"
    error_message = "kms:Decrypt must be on the secret's key only, and only through Secrets Manager."
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s.Action if s.Resource == "*"])) == toset(["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"])
    error_message = "Only the X-Ray actions, which allow nothing else, may be on every resource."
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s.Resource if contains(flatten([s.Action]), "logs:PutLogEvents")])) == toset(["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/ecs/hello-service-test/metrics", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/ecs/hello-service-test/metrics:*"])
    error_message = "The collector may write only to the metrics log group."
  }

  assert {
    condition     = jsondecode(aws_iam_role.task.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "The task role's trust policy must be limited to the account."
  }
}

run "execution_role_pulls_only_from_its_repository" {
  command = plan

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if contains(flatten([s.Action]), "ecr:BatchGetImage")]) == var.ecr_repository_arn
    error_message = "Image pulls must be limited to the service's repository."
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Action if s.Resource == "*"])) == toset(["ecr:GetAuthorizationToken"])
    error_message = "Only ecr:GetAuthorizationToken may be on every resource."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if contains(flatten([s.Action]), "secretsmanager:GetSecretValue")]) == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hello-service/test-admin-XyZ123"
    error_message = "The execution role must read the admin token secret by its ARN, without the JSON key suffix."
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if contains(flatten([s.Action]), "logs:PutLogEvents")]) == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/ecs/hello-service-test:log-stream:*"
    error_message = "The execution role may write only to the container log group."
  }
}

run "without_database_or_token" {
  command = plan

  variables {
    database_url                = null
    database_secret_arn         = null
    database_secret_kms_key_arn = null
    admin_token_secret_arn      = null
  }

  assert {
    condition     = !contains(keys({ for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }), "DATABASE_URL") && !contains(keys({ for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }), "APP_SECRET_ID") && one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).secrets == []
    error_message = "Without a database or token neither DATABASE_URL, APP_SECRET_ID nor APP_ADMIN_TOKEN must be set."
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s if anytrue([for a in flatten([s.Action]) : startswith(a, "secretsmanager:") || startswith(a, "kms:")])]) == 0
    error_message = "Without a secret the task role must have no Secrets Manager or KMS permission."
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if contains(flatten([s.Action]), "secretsmanager:GetSecretValue")]) == 0
    error_message = "Without a token the execution role must read no secret."
  }
}

run "custom_shutdown_timeout" {
  command = plan

  variables {
    shutdown_timeout_seconds = 115
  }

  assert {
    condition     = one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).stopTimeout == 120 && { for e in one([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c if c.name == "app"]).environment : e.name => e.value }.APP_SHUTDOWN_TIMEOUT == "115s"
    error_message = "The stop timeout must follow the shutdown timeout up to Fargate's 120 s."
  }
}
