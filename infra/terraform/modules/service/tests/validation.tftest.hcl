# Invalid inputs are refused at plan time, each by the variable it concerns.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  name                    = "hello-service-test"
  vpc_id                  = "vpc-0123456789abcdef0"
  vpc_cidr_block          = "10.0.0.0/16"
  private_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  alb_security_group_id   = "sg-0a1b2c3d4e5f60718"
  target_group_arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/hello-service-test-blue/0123456789abcdef"
  ecr_repository_arn      = "arn:aws:ecr:eu-west-1:123456789012:repository/hello-service"
  image                   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  alb_arn_suffix          = "app/hello-service-test/0123456789abcdef"
  target_group_arn_suffix = "targetgroup/hello-service-test-blue/0123456789abcdef"
}

run "valid_inputs_plan" {
  command = plan
}

run "invalid_name" {
  command = plan

  variables {
    name = "Hello_Service"
  }

  expect_failures = [var.name]
}

run "memory_not_offered_for_cpu" {
  command = plan

  variables {
    cpu    = 256
    memory = 4096
  }

  expect_failures = [var.memory]
}

run "cpu_not_a_fargate_size" {
  command = plan

  variables {
    cpu = 300
  }

  expect_failures = [var.cpu]
}

run "large_task_with_wrong_memory_step" {
  command = plan

  variables {
    cpu    = 8192
    memory = 17408
  }

  expect_failures = [var.memory]
}

run "stop_timeout_beyond_fargate_maximum" {
  command = plan

  variables {
    shutdown_timeout_seconds = 116
  }

  expect_failures = [var.shutdown_timeout_seconds]
}

run "both_weights_zero" {
  command = plan

  variables {
    fargate_base        = 0
    fargate_weight      = 0
    fargate_spot_weight = 0
  }

  expect_failures = [var.fargate_spot_weight]
}

run "base_on_a_zero_weight_provider" {
  command = plan

  variables {
    fargate_base        = 1
    fargate_weight      = 0
    fargate_spot_weight = 1
  }

  expect_failures = [var.fargate_weight]
}

run "negative_spot_weight" {
  command = plan

  variables {
    fargate_spot_weight = -1
  }

  expect_failures = [var.fargate_spot_weight]
}

run "sample_ratio_above_one" {
  command = plan

  variables {
    trace_sample_ratio = 1.5
  }

  expect_failures = [var.trace_sample_ratio]
}

run "database_url_with_credentials" {
  command = plan

  variables {
    database_url = "postgres://hello:secret@db.example.internal:5432/hello?sslmode=verify-full"
  }

  expect_failures = [var.database_url]
}

run "database_url_without_tls" {
  command = plan

  variables {
    database_url = "postgres://db.example.internal:5432/hello?sslmode=disable"
  }

  expect_failures = [var.database_url]
}

run "secret_given_by_name" {
  command = plan

  variables {
    database_secret_arn = "hello-service/prod"
  }

  expect_failures = [var.database_secret_arn]
}

run "extra_environment_overrides_a_derived_variable" {
  command = plan

  variables {
    extra_environment = { APP_LISTEN_ADDR = "0.0.0.0:8081" }
  }

  expect_failures = [var.extra_environment]
}

run "admin_token_as_plain_environment" {
  command = plan

  variables {
    extra_environment = { APP_ADMIN_TOKEN = "hunter2" }
  }

  expect_failures = [var.extra_environment]
}

run "admin_port_equals_app_port" {
  command = plan

  variables {
    admin_port = 8080
  }

  expect_failures = [var.admin_port]
}

run "app_port_taken_by_the_collector" {
  command = plan

  variables {
    app_port = 4317
  }

  expect_failures = [var.app_port]
}

run "collector_leaves_no_room_for_the_service" {
  command = plan

  variables {
    collector_memory_limit = 448
  }

  expect_failures = [var.collector_memory_limit]
}

run "desired_count_outside_the_autoscaling_range" {
  command = plan

  variables {
    desired_count = 20
  }

  expect_failures = [var.desired_count]
}

run "scale_in_not_slower_than_scale_out" {
  command = plan

  variables {
    scale_out_cooldown_seconds = 300
    scale_in_cooldown_seconds  = 300
  }

  expect_failures = [var.scale_in_cooldown_seconds]
}

run "blue_green_without_listeners" {
  command = plan

  variables {
    enable_blue_green = true
  }

  expect_failures = [var.test_listener_arn]
}

run "one_subnet_only" {
  command = plan

  variables {
    private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaaa"]
  }

  expect_failures = [var.private_subnet_ids]
}

run "image_without_tag_or_digest" {
  command = plan

  variables {
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service"
  }

  expect_failures = [var.image]
}

run "health_check_timeout_not_below_interval" {
  command = plan

  variables {
    container_health_check = { interval = 5, timeout = 5 }
  }

  expect_failures = [var.container_health_check]
}
