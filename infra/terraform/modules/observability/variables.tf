variable "name" {
  description = "Prefix for every resource name, for example \"hello-service-dev\"."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}[a-z0-9]$", var.name))
    error_message = "name must be 2 to 64 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "cluster_name" {
  description = "Name of the ECS cluster running the service (the ClusterName dimension)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.cluster_name))
    error_message = "cluster_name must be 1 to 255 letters, digits, hyphens and underscores."
  }
}

variable "service_name" {
  description = "Name of the ECS service (the ServiceName dimension)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.service_name))
    error_message = "service_name must be 1 to 255 letters, digits, hyphens and underscores."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (app/NAME/ID), the alb module's alb_arn_suffix: the LoadBalancer dimension."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^app/[A-Za-z0-9-]+/[0-9a-f]+$", var.alb_arn_suffix))
    error_message = "alb_arn_suffix must look like app/NAME/ID."
  }
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the primary target group (targetgroup/NAME/ID), the alb module's target_group_arn_suffix: the TargetGroup dimension."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$", var.target_group_arn_suffix))
    error_message = "target_group_arn_suffix must look like targetgroup/NAME/ID."
  }
}

variable "enable_blue_green" {
  description = "The service deploys through CodeDeploy blue/green: the green target group (green_target_group_arn_suffix) gets its own latency and unhealthy-host alarms."
  type        = bool
  default     = false
}

variable "green_target_group_arn_suffix" {
  description = "ARN suffix of the blue/green \"green\" target group, or null. With CodeDeploy blue/green, live traffic alternates between the two target groups, so the latency and unhealthy-host alarms are made for both."
  type        = string
  default     = null

  validation {
    condition     = var.green_target_group_arn_suffix == null || can(regex("^targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$", var.green_target_group_arn_suffix))
    error_message = "green_target_group_arn_suffix must be null or look like targetgroup/NAME/ID."
  }

  validation {
    condition     = !var.enable_blue_green || var.green_target_group_arn_suffix != null
    error_message = "With enable_blue_green, green_target_group_arn_suffix names the green target group."
  }
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic. Each must confirm the subscription from the email AWS sends."
  type        = list(string)
  nullable    = false
  default     = []

  validation {
    condition     = alltrue([for email in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "alarm_emails must hold email addresses only."
  }
}

variable "cpu_threshold_percent" {
  description = "Average ECS service CPU utilisation, in percent, that raises the alarm when held for 5 minutes. Above the autoscaling target (70 %), so it means scaling has not kept up."
  type        = number
  nullable    = false
  default     = 80

  validation {
    condition     = var.cpu_threshold_percent > 0 && var.cpu_threshold_percent <= 100
    error_message = "cpu_threshold_percent must be above 0 and at most 100."
  }
}

variable "memory_threshold_percent" {
  description = "Average ECS service memory utilisation, in percent, that raises the alarm when held for 5 minutes."
  type        = number
  nullable    = false
  default     = 80

  validation {
    condition     = var.memory_threshold_percent > 0 && var.memory_threshold_percent <= 100
    error_message = "memory_threshold_percent must be above 0 and at most 100."
  }
}

variable "error_rate_threshold_percent" {
  description = "Share of requests, in percent, answered with a 5xx (by the targets or the load balancer) that raises the alarm."
  type        = number
  nullable    = false
  default     = 5

  validation {
    condition     = var.error_rate_threshold_percent > 0 && var.error_rate_threshold_percent <= 100
    error_message = "error_rate_threshold_percent must be above 0 and at most 100."
  }
}

variable "p99_latency_threshold_seconds" {
  description = "99th percentile of the target response time, in seconds, that raises the alarm."
  type        = number
  nullable    = false
  default     = 1

  validation {
    condition     = var.p99_latency_threshold_seconds > 0 && var.p99_latency_threshold_seconds <= 60
    error_message = "p99_latency_threshold_seconds must be above 0 and at most 60."
  }
}

variable "min_running_tasks" {
  description = "Fewest running tasks the service should ever have (normally the autoscaling minimum). Fewer raises the alarm."
  type        = number
  nullable    = false
  default     = 1

  validation {
    condition     = var.min_running_tasks >= 1 && floor(var.min_running_tasks) == var.min_running_tasks
    error_message = "min_running_tasks must be a whole number of at least 1: with 0 the alarm could never fire."
  }
}

variable "database_instance_identifier" {
  description = "Identifier of the RDS instance (the database module's instance_identifier), or null for a service without a database. When given, database alarms and dashboard panels are added."
  type        = string
  default     = null

  validation {
    condition     = var.database_instance_identifier == null || can(regex("^[a-z][a-z0-9-]{0,62}$", var.database_instance_identifier))
    error_message = "database_instance_identifier must be null or an RDS instance identifier (1 to 63 lowercase letters, digits and hyphens, starting with a letter)."
  }
}

variable "database_cpu_threshold_percent" {
  description = "Average database CPU utilisation, in percent, that raises the alarm when held for 10 minutes."
  type        = number
  nullable    = false
  default     = 80

  validation {
    condition     = var.database_cpu_threshold_percent > 0 && var.database_cpu_threshold_percent <= 100
    error_message = "database_cpu_threshold_percent must be above 0 and at most 100."
  }
}

variable "database_free_storage_threshold_bytes" {
  description = "Free database storage, in bytes, below which the alarm is raised. The default, 2 GiB, is 10 % of the database module's default 20 GB; storage autoscaling normally grows the volume before this."
  type        = number
  nullable    = false
  default     = 2147483648

  validation {
    condition     = var.database_free_storage_threshold_bytes > 0
    error_message = "database_free_storage_threshold_bytes must be above 0."
  }
}

variable "database_connections_threshold" {
  description = "Open database connections above which the alarm is raised. Set it to about 80 % of the instance's max_connections; the default suits a db.t4g.micro (about 80 connections)."
  type        = number
  nullable    = false
  default     = 64

  validation {
    condition     = var.database_connections_threshold >= 1 && floor(var.database_connections_threshold) == var.database_connections_threshold
    error_message = "database_connections_threshold must be a whole number of at least 1."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the service's own metrics (the collector sidecar's awsemf exporter), for the dashboard's service panels."
  type        = string
  nullable    = false
  default     = "hello-service"
}

variable "metrics_environment" {
  description = "Value of the environment dimension of the service's own metrics; null draws no service panels."
  type        = string
  default     = null
}
