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
  name                       = "hello-service-test"
  vpc_id                     = "vpc-0123456789abcdef0"
  private_subnet_ids         = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  allowed_security_group_ids = ["sg-0a1b2c3d4e5f60718"]
}

run "valid_inputs_plan" {
  command = plan
}

run "double_hyphen_in_name" {
  command = plan

  variables {
    name = "hello--service"
  }

  expect_failures = [var.name]
}

run "name_too_long" {
  command = plan

  variables {
    name = "hello-service-with-a-name-far-too-long-for-iam-roles"
  }

  expect_failures = [var.name]
}

run "unsupported_engine_version" {
  command = plan

  variables {
    engine_version = "9.6"
  }

  expect_failures = [var.engine_version]
}

run "max_storage_below_allocated" {
  command = plan

  variables {
    allocated_storage     = 100
    max_allocated_storage = 50
  }

  expect_failures = [var.max_allocated_storage]
}

run "storage_below_minimum" {
  command = plan

  variables {
    allocated_storage = 10
  }

  expect_failures = [var.allocated_storage]
}

run "backups_off" {
  command = plan

  variables {
    backup_retention_days = 0
  }

  expect_failures = [var.backup_retention_days]
}

run "reserved_master_username" {
  command = plan

  variables {
    master_username = "rdsadmin"
  }

  expect_failures = [var.master_username]
}

run "reserved_db_name" {
  command = plan

  variables {
    db_name = "postgres"
  }

  expect_failures = [var.db_name]
}

run "invalid_monitoring_interval" {
  command = plan

  variables {
    monitoring_interval = 7
  }

  expect_failures = [var.monitoring_interval]
}

run "invalid_performance_insights_retention" {
  command = plan

  variables {
    performance_insights_retention_days = 30
  }

  expect_failures = [var.performance_insights_retention_days]
}

run "one_subnet_only" {
  command = plan

  variables {
    private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaaa"]
  }

  expect_failures = [var.private_subnet_ids]
}

run "not_a_security_group_id" {
  command = plan

  variables {
    allowed_security_group_ids = ["0.0.0.0/0"]
  }

  expect_failures = [var.allowed_security_group_ids]
}

run "malformed_maintenance_window" {
  command = plan

  variables {
    maintenance_window = "sunday 04:00"
  }

  expect_failures = [var.maintenance_window]
}
